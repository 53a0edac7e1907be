using BitOnnx.Core.Model;

namespace BitOnnx.Core.Transcoders;

/// <summary>
/// A transcoder's config, its parameters in one allocation (SAELens / sparsify names: <c>W_enc [d_in, width]</c>,
/// <c>b_enc [width]</c>, <c>W_dec [width, d_out]</c>, <c>b_dec [d_out]</c>) and the model it was trained on. Encode and
/// Decode here are the plain reference, in float64 sums: the engine's forward is held to them, and a caller with latents
/// of its own (an explanation's simulated activations) decodes them here.
/// </summary>
public sealed class Transcoder
{
    public const string EncoderWeight = "W_enc";
    public const string EncoderBias = "b_enc";
    public const string DecoderWeight = "W_dec";
    public const string DecoderBias = "b_dec";

    public Transcoder(TranscoderConfig config, ParameterSet parameters, TranscoderSource source)
    {
        Config = config.Validated();
        var expected = Layout(config);
        if (parameters.Entries.Count != expected.Count
            || parameters.Entries.Zip(expected).Any(p => p.First.Name != p.Second.Name || !p.First.Shape.Equals(p.Second.Shape)))
            throw new ArgumentException($"The parameters are not a transcoder's of d_in {config.DIn}, width {config.Width}, d_out {config.DOut}.", nameof(parameters));
        Parameters = parameters;
        Source = source;
    }

    public TranscoderConfig Config { get; }

    public ParameterSet Parameters { get; }

    public TranscoderSource Source { get; }

    /// <summary>The parameter layout, in the order of <see cref="ParameterSet"/>'s one allocation.</summary>
    public static IReadOnlyList<(string Name, Shape Shape)> Layout(TranscoderConfig config) =>
    [
        (EncoderWeight, new Shape(config.DIn, config.Width)),
        (EncoderBias, new Shape(config.Width)),
        (DecoderWeight, new Shape(config.Width, config.DOut)),
        (DecoderBias, new Shape(config.DOut)),
    ];

    /// <summary>A transcoder of zeros.</summary>
    public static Transcoder Zeros(TranscoderConfig config, TranscoderSource source) =>
        new(config, ParameterSet.ZerosOf(Layout(config.Validated())), source);

    /// <summary>
    /// Latents [rows, width] of inputs [rows, d_in]: ReLU(x·W_enc + b_enc), then for TopK only the k largest kept (ties to
    /// the lower index), the rest 0.
    /// </summary>
    public float[] Encode(ReadOnlySpan<float> inputs)
    {
        int dIn = Config.DIn, width = Config.Width;
        var rows = RowsOf(inputs.Length, dIn, "inputs");
        var w = Parameters[EncoderWeight];
        var b = Parameters[EncoderBias];
        var latents = new float[rows * width];
        var pre = new double[width];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < width; j++)
            {
                double sum = b[j];
                for (int i = 0; i < dIn; i++) sum += (double)inputs[r * dIn + i] * w[i * width + j];
                pre[j] = Math.Max(sum, 0);
            }
            var row = latents.AsSpan(r * width, width);
            for (int j = 0; j < width; j++) row[j] = (float)pre[j];
            if (Config.Kind == TranscoderKind.TopK) KeepTopK(row, Config.K);
        }
        return latents;
    }

    /// <summary>ŷ [rows, d_out] = latents·W_dec + b_dec for latents [rows, width], whatever produced them.</summary>
    public float[] Decode(ReadOnlySpan<float> latents)
    {
        int width = Config.Width, dOut = Config.DOut;
        var rows = RowsOf(latents.Length, width, "latents");
        var w = Parameters[DecoderWeight];
        var b = Parameters[DecoderBias];
        var output = new float[rows * dOut];
        var sums = new double[dOut];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < dOut; o++) sums[o] = b[o];
            for (int j = 0; j < width; j++)
            {
                double f = latents[r * width + j];
                if (f == 0) continue;
                for (int o = 0; o < dOut; o++) sums[o] += f * w[j * dOut + o];
            }
            for (int o = 0; o < dOut; o++) output[r * dOut + o] = (float)sums[o];
        }
        return output;
    }

    /// <summary>Zeroes all but the <paramref name="k"/> largest of <paramref name="row"/>; of equal values the lower index stays.</summary>
    public static void KeepTopK(Span<float> row, int k)
    {
        if (k >= row.Length) return;
        var order = new int[row.Length];
        for (int j = 0; j < order.Length; j++) order[j] = j;
        var values = row.ToArray();
        Array.Sort(order, (x, y) => values[x] != values[y] ? values[y].CompareTo(values[x]) : x.CompareTo(y));
        for (int n = k; n < order.Length; n++) row[order[n]] = 0;
    }

    private static int RowsOf(int length, int rowSize, string what) =>
        length % rowSize == 0
            ? length / rowSize
            : throw new ArgumentException($"{length} {what} are not whole rows of {rowSize}.");
}
