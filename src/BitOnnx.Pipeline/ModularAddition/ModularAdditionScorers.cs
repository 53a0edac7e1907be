using BitOnnx.Core.Model;
using BitOnnx.Pipeline.Onnx;

namespace BitOnnx.Pipeline.ModularAddition;

/// <summary>What turns token rows [rows, 3] into logits [rows, P]: the training engine or ONNX Runtime.</summary>
internal interface IScorer : IDisposable
{
    int P { get; }
    float[] Score(long[] tokens);
}

internal sealed class EngineScorer(TransformerConfig config, ParameterSet parameters, int threads) : IScorer
{
    public int P => config.P;

    public float[] Score(long[] tokens)
    {
        var rows = tokens.Length / config.NCtx;
        var ws = new Workspace(config, Array.ConvertAll(tokens, t => (int)t), new int[rows], lastPositionOnly: true, withGradients: false);
        var weights = new EffectiveWeights(config);
        weights.LoadFrom(parameters);
        TransformerForward.Run(weights, ws, threads);
        return ws.Logits;
    }

    public void Dispose() { }
}

internal sealed class OnnxScorer(TransformerSession session) : IScorer
{
    public int P => session.P;

    public float[] Score(long[] tokens) => session.Run(tokens, ["logits"])["logits"];

    public void Dispose() => session.Dispose();
}
