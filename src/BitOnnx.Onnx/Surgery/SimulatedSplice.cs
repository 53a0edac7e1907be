using BitOnnx.Core.Explanations;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// What <see cref="SimulatedTranscoderSurgery"/> wrote into a model, read back from its initializers: the latents'
/// formulas as <see cref="Export.FourierFormulaGraph"/> stores them (an offset per latent, a table [P, width] per axis
/// that some formula uses, the ReLU floor) and the transcoder's decoder. Enough to compute the splice's MLP output for a
/// pair without running the graph, which is what <c>bitonnx verify</c> holds the graph to.
/// </summary>
/// <param name="P">The modulus the tables are indexed by.</param>
/// <param name="Width">Latents (d_sae).</param>
/// <param name="DOut">Values the decoder writes per position (d_model).</param>
/// <param name="Offset">Each latent's constant, [width].</param>
/// <param name="Tables">Per axis, the sum of each latent's terms on it at x = 0..P−1, [P, width] row-major; axes no formula uses are absent.</param>
/// <param name="Floor">Per latent, 0 where its formula has a ReLU and −∞ where not; null when none has one.</param>
/// <param name="DecoderWeight">W_dec, [width, d_out] row-major.</param>
/// <param name="DecoderBias">b_dec, [d_out].</param>
public sealed record SimulatedSplice(int P, int Width, int DOut, float[] Offset, IReadOnlyDictionary<FourierAxis, float[]> Tables,
    float[]? Floor, float[] DecoderWeight, float[] DecoderBias)
{
    private const string Simulator = TranscoderSurgery.Prefix + "simulator.";

    /// <summary>
    /// The simulated splice in <paramref name="model"/>; a <see cref="ModelContractException"/> for a model spliced with
    /// a trained encoder, or whose simulator is incomplete or of the wrong shape.
    /// </summary>
    public static SimulatedSplice Read(OnnxModel model, string name)
    {
        var splice = SplicedTranscoder.Of(model) ?? throw new ModelContractException($"Model '{name}' has no transcoder spliced in; give one that bitonnx transcoder splice wrote.");
        if (!splice.FromExplanations)
            throw new ModelContractException($"Model '{name}' has a trained encoder spliced in, not latents simulated from explanations; read it with SplicedTranscoder.ReadTranscoder.");
        var names = model.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        float[] Read(string initializer) => names.Contains(initializer)
            ? model.ReadInitializer<float>(initializer)
            : throw new ModelContractException($"Model '{name}' lacks the simulated transcoder's '{initializer}'; splice it again with bitonnx transcoder splice --from-explanations.");
        var offset = Read(Simulator + "offset");
        var bias = Read(TranscoderSurgery.Prefix + Transcoder.DecoderBias);
        var weight = Read(TranscoderSurgery.Prefix + Transcoder.DecoderWeight);
        int width = offset.Length, dOut = bias.Length;
        var p = (int)model.ReadInitializer<long>(Simulator + "p")[0];
        var tables = new Dictionary<FourierAxis, float[]>();
        foreach (var axis in Enum.GetValues<FourierAxis>())
        {
            var key = Simulator + "table_" + axis.ToString().ToLowerInvariant();
            if (names.Contains(key)) tables[axis] = Read(key);
        }
        var floor = names.Contains(Simulator + "relu_floor") ? Read(Simulator + "relu_floor") : null;
        if (width != splice.Width || weight.Length != width * dOut || tables.Values.Any(t => t.Length != p * width) || (floor is not null && floor.Length != width))
            throw new ModelContractException($"Model '{name}': the simulated transcoder's offsets, tables, floor and decoder disagree on its {splice.Width} latents; splice it again with bitonnx transcoder splice --from-explanations.");
        return new SimulatedSplice(p, width, dOut, offset, tables, floor, weight, bias);
    }

    /// <summary>The latents of pair (a, b) by their formulas, in double: the offset plus each axis' table at its residue, floored.</summary>
    public double[] Latents(int a, int b)
    {
        var latents = new double[Width];
        for (var u = 0; u < Width; u++) latents[u] = Offset[u];
        foreach (var (axis, table) in Tables)
        {
            var x = axis switch
            {
                FourierAxis.A => a,
                FourierAxis.B => b,
                FourierAxis.Sum => (a + b) % P,
                _ => ((a - b) % P + P) % P,
            };
            for (var u = 0; u < Width; u++) latents[u] += table[x * Width + u];
        }
        if (Floor is not null)
            for (var u = 0; u < Width; u++) latents[u] = Math.Max(latents[u], Floor[u]);
        return latents;
    }

    /// <summary>The MLP output the splice writes for pair (a, b): b_dec + latents · W_dec, in double, rounded once.</summary>
    public float[] Output(int a, int b)
    {
        var latents = Latents(a, b);
        var sum = Array.ConvertAll(DecoderBias, v => (double)v);
        for (var u = 0; u < Width; u++)
        {
            if (latents[u] == 0) continue;
            for (var d = 0; d < DOut; d++) sum[d] += latents[u] * DecoderWeight[u * DOut + d];
        }
        return Array.ConvertAll(sum, v => (float)v);
    }
}
