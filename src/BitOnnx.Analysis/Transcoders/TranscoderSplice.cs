using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Transcoders;

/// <summary>
/// A model on ONNX Runtime with its MLP's output at the last position replaceable: the clean run's MLP input and output
/// there (a transcoder's x and y), its logits, and the logits with <c>blocks.0.hook_mlp_out</c> at the last position
/// zero-ablated or replaced by given values, all over the P² pairs (row a·P + b). Splicing is an intervention (the
/// model's writable hook), so it needs an export with <c>--writable all --probes all</c>, as the shipped models are.
/// The MLP at the other positions does not reach the logits of a one-layer model, so the last position is the splice.
/// </summary>
public sealed class TranscoderSplice
{
    private readonly ModelSession _session;
    private readonly long[] _tokens;
    private float[]? _zeroAblated;

    public TranscoderSplice(ModelSession session, string hookIn = TranscoderConfig.MlpInput, string hookOut = TranscoderConfig.MlpOutput)
    {
        Config = session.Metadata.Config
            ?? throw new AnalysisInputException($"Model '{session.Name}' carries no bitonnx config; re-export it with bitonnx export --probes all --writable all.");
        if (Config.NLayers != 1)
            throw new AnalysisInputException($"Model '{session.Name}' has {Config.NLayers} layers; a transcoder here replaces the MLP of a one-layer model, whose other positions do not reach the logits.");
        var missing = new[] { hookIn, hookOut }.Where(h => !session.OutputNames.Contains(h)).ToArray();
        if (missing.Length > 0)
            throw new AnalysisInputException($"Model '{session.Name}' has no probe {string.Join(" or ", missing.Select(m => $"'{m}'"))}, the MLP's input and output a transcoder learns; re-export it with bitonnx export --probes all --writable all.");
        if (!session.WritableHooks.Contains(hookOut))
            throw new AnalysisInputException($"Model '{session.Name}' cannot write '{hookOut}', so nothing can be spliced there; re-export it with bitonnx export --probes all --writable all.");
        _session = session;
        HookOut = hookOut;
        _tokens = ModelSession.GridTokens(session.P);
        var clean = session.Run(_tokens, [hookIn, hookOut, HookNames.Logits]);
        MlpInput = LastPosition(clean[hookIn].Data, Config.NCtx, Config.DModel);
        MlpOutput = LastPosition(clean[hookOut].Data, Config.NCtx, Config.DModel);
        CleanLogits = clean[HookNames.Logits].Data;
    }

    public TransformerConfig Config { get; }

    /// <summary>
    /// The model's own train/test split (the seed and train fraction its export records), so measures can be taken on
    /// the pairs it never trained on; an <see cref="AnalysisInputException"/> when the export does not record them.
    /// </summary>
    public ModularAdditionData Split => _session.Metadata is { Seed: { } seed, TrainFraction: { } fraction }
        ? ModularAdditionData.Split(P, fraction, seed)
        : throw new AnalysisInputException($"Model '{_session.Name}' does not record the seed and train fraction of its split, so its test pairs are unknown; export it from its checkpoint with bitonnx export.");

    public int P => Config.P;

    public string HookOut { get; }

    /// <summary>The MLP's input at the last position, [P², d_model].</summary>
    public float[] MlpInput { get; }

    /// <summary>The MLP's output at the last position, [P², d_model].</summary>
    public float[] MlpOutput { get; }

    /// <summary>The model's logits, [P², P].</summary>
    public float[] CleanLogits { get; }

    /// <summary>The logits with the MLP's output at the last position set to 0, [P², P].</summary>
    public float[] ZeroAblatedLogits => _zeroAblated ??= Logits(new float[MlpOutput.Length]);

    /// <summary>The logits with the MLP's output at the last position replaced by <paramref name="mlpOut"/> [P², d_model].</summary>
    public float[] Logits(float[] mlpOut)
    {
        int rows = P * P, d = Config.DModel, n = Config.NCtx;
        if (mlpOut.Length != rows * d) throw new ArgumentException($"Give the MLP output of all {rows} pairs: {rows} × {d} values, not {mlpOut.Length}.", nameof(mlpOut));
        var values = new float[rows * n * d];
        for (int r = 0; r < rows; r++) mlpOut.AsSpan(r * d, d).CopyTo(values.AsSpan((r * n + n - 1) * d, d));
        var writes = _session.Resolve(_tokens, [Intervention.Patch(HookOut, values, new HookIndex(Position: n - 1))]);
        return _session.Run(_tokens, writes, [HookNames.Logits])[HookNames.Logits].Data;
    }

    /// <summary>
    /// The logits with the MLP replaced by <paramref name="transcoder"/>'s decoder applied to <paramref name="latents"/>
    /// [P², width] (the transcoder's own latents, or any others: an explanation's simulated activations).
    /// </summary>
    public float[] SplicedLogits(Transcoder transcoder, ReadOnlySpan<float> latents) => Logits(transcoder.Decode(latents));

    /// <summary>The losses of <paramref name="splicedLogits"/> against the clean and zero-ablated runs over <paramref name="rows"/> (all pairs when null).</summary>
    public SpliceLosses Losses(float[] splicedLogits, IReadOnlyList<int>? rows = null) =>
        SpliceLosses.Compute(CleanLogits, splicedLogits, ZeroAblatedLogits, P, rows ?? ModularAdditionData.AllRows(P));

    /// <summary>The losses over <paramref name="rows"/> (all pairs when null) with the MLP replaced by the decoder of <paramref name="latents"/>.</summary>
    public SpliceLosses LossesOfLatents(Transcoder transcoder, ReadOnlySpan<float> latents, IReadOnlyList<int>? rows = null) =>
        Losses(SplicedLogits(transcoder, latents), rows);

    private static float[] LastPosition(float[] all, int positions, int width)
    {
        var rows = all.Length / (positions * width);
        var last = new float[rows * width];
        for (var r = 0; r < rows; r++) all.AsSpan((r * positions + positions - 1) * width, width).CopyTo(last.AsSpan(r * width, width));
        return last;
    }
}
