namespace BitOnnx.Analysis.Fourier;

/// <summary>
/// Energies of the 2-D Fourier transforms Â = F·A·Fᵀ of many (a, b) maps ("channels": MLP neurons, or the
/// logit of each output c), with Â[0,0] (the map's mean) set to 0 as in Li 2024 / Nanda et al. 2023:
/// per channel the total energy Σ Â², per channel and frequency f the energy in the degree-2 block
/// {const, cos f, sin f}² (the numerator of the FVE), and optionally Σ_c Â[x,y]² over channels.
/// Channels are processed in chunks so the working set stays in cache and memory stays bounded.
/// </summary>
public sealed class ChannelSpectra
{
    private ChannelSpectra(int p, int channels, int frequencies)
    {
        P = p;
        Channels = channels;
        Frequencies = frequencies;
        TotalEnergy = new double[channels];
        BlockEnergy = new double[channels * frequencies];
        SummedSquares = new double[p * p];
    }

    /// <summary>The modulus.</summary>
    public int P { get; }

    /// <summary>Number of maps.</summary>
    public int Channels { get; }

    /// <summary>Number of frequencies (columns of <see cref="BlockEnergy"/>).</summary>
    public int Frequencies { get; }

    /// <summary>Σ_{x,y} Â[x,y]² per channel, Â[0,0] excluded.</summary>
    public double[] TotalEnergy { get; }

    /// <summary>[channel, f−1]: Σ Â[x,y]² over x, y in {const, cos f, sin f}, Â[0,0] excluded.</summary>
    public double[] BlockEnergy { get; }

    /// <summary>[x·P + y]: Σ_c Â_c[x,y]², with the [0,0] entry 0.</summary>
    public double[] SummedSquares { get; }

    /// <summary>Full spectra Â (P×P, [0,0] = 0) of the channels asked to keep.</summary>
    public IReadOnlyDictionary<int, double[]> Kept => _kept;

    private readonly Dictionary<int, double[]> _kept = new();

    /// <summary>
    /// Transforms the maps in <paramref name="data"/> [P·P, channels] (row a·P+b, channel-minor, as a probe slice).
    /// </summary>
    public static ChannelSpectra Compute(FourierBasis basis, ReadOnlySpan<float> data, int channels,
        IReadOnlyCollection<int>? keep = null, Action<double>? progress = null, int chunkSize = 64)
    {
        int p = basis.P, pp = p * p;
        if (data.Length != pp * channels)
            throw new ArgumentException($"Expected {pp}·{channels} values for {channels} maps of {p}×{p}, got {data.Length}.");
        var result = new ChannelSpectra(p, channels, basis.FrequencyCount);
        var keepSet = keep is null ? new HashSet<int>() : new HashSet<int>(keep);
        int chunk = Math.Min(chunkSize, channels);
        var maps = new double[pp * chunk];
        var spectra = new double[pp * chunk];
        var scratch = new double[pp * chunk];
        var blockRows = Enumerable.Range(1, basis.FrequencyCount).Select(f => new[] { 0 }.Concat(basis.RowsOf(f)).ToArray()).ToArray();

        for (int c0 = 0; c0 < channels; c0 += chunk)
        {
            int cn = Math.Min(chunk, channels - c0);
            for (int row = 0; row < pp; row++)
            {
                var src = data.Slice(row * channels + c0, cn);
                var dst = maps.AsSpan(row * cn, cn);
                for (int c = 0; c < cn; c++) dst[c] = src[c];
            }
            FourierTransform2D.Transform(basis, maps, cn, spectra, scratch);
            result.Accumulate(spectra, c0, cn, blockRows, keepSet);
            progress?.Invoke((double)(c0 + cn) / channels);
        }
        return result;
    }

    private void Accumulate(double[] spectra, int c0, int cn, int[][] blockRows, HashSet<int> keep)
    {
        int p = P, pp = p * p;
        for (int c = 0; c < cn; c++) spectra[c] = 0; // Â[0,0] := 0 for every channel of the chunk.

        var total = TotalEnergy.AsSpan(c0, cn);
        for (int xy = 0; xy < pp; xy++)
        {
            var s = spectra.AsSpan(xy * cn, cn);
            double summed = 0;
            for (int c = 0; c < cn; c++)
            {
                double e = s[c] * s[c];
                total[c] += e;
                summed += e;
            }
            SummedSquares[xy] += summed;
        }

        for (int f = 0; f < Frequencies; f++)
        {
            var rows = blockRows[f];
            for (int c = 0; c < cn; c++)
            {
                double e = 0;
                foreach (int x in rows)
                    foreach (int y in rows)
                    {
                        double v = spectra[(x * p + y) * cn + c];
                        e += v * v;
                    }
                BlockEnergy[(c0 + c) * Frequencies + f] = e;
            }
        }

        foreach (int channel in keep)
        {
            if (channel < c0 || channel >= c0 + cn) continue;
            var map = new double[pp];
            for (int xy = 0; xy < pp; xy++) map[xy] = spectra[xy * cn + channel - c0];
            _kept[channel] = map;
        }
    }
}
