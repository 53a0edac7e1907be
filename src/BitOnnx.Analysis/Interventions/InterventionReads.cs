using BitOnnx.Core.Model;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Interventions;

/// <summary>What the intervention tables read from a session, and the progress bar they share.</summary>
internal static class InterventionReads
{
    /// <summary>The last block's residual stream and MLP activations at the last position of <paramref name="tokens"/>' rows, and the folded weights behind them.</summary>
    public static LastBlockNeurons.Inputs LastBlock(ModelSession session, TransformerConfig config, long[] tokens, Func<string, float[]> weight, int[] targets)
    {
        var l = config.NLayers - 1;
        var probes = session.Run(tokens, [HookNames.ResidPost(l), HookNames.MlpPost(l)]);
        return new LastBlockNeurons.Inputs(config.P,
            LastPosition(probes[HookNames.ResidPost(l)].Data, config.NCtx, config.DModel),
            LastPosition(probes[HookNames.MlpPost(l)].Data, config.NCtx, config.DMlp),
            weight(ParameterNames.MlpOut(l)), weight(ParameterNames.Unembed),
            config.FinalNorm ? weight(ParameterNames.FinalNormWeight) : null,
            targets);
    }

    /// <summary>The last position's rows [rows, width] of <paramref name="all"/> [rows, positions, width].</summary>
    public static float[] LastPosition(float[] all, int positions, int width)
    {
        var rows = all.Length / (positions * width);
        var last = new float[rows * width];
        for (var r = 0; r < rows; r++) all.AsSpan((r * positions + positions - 1) * width, width).CopyTo(last.AsSpan(r * width, width));
        return last;
    }

    /// <summary>A part [from, from + span] of a progress bar.</summary>
    public sealed class Part(IProgress<double>? inner, double from, double span) : IProgress<double>
    {
        public void Report(double value) => inner?.Report(from + span * value);
    }
}
