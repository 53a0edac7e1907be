using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Pipeline.ModularAddition;

/// <summary>What turns token rows [rows, 3] into logits [rows, P]: the training engine or ONNX Runtime.</summary>
internal interface IScorer : IDisposable
{
    int P { get; }
    float[] Score(long[] tokens);
}

internal sealed class EngineScorer : IScorer
{
    private readonly TransformerConfig _config;
    private readonly EffectiveWeights _weights;
    private readonly int _threads;

    /// <summary>Quantizes the weights once: a transformer's parameters never change after Fit or Load.</summary>
    public EngineScorer(TransformerConfig config, ParameterSet parameters, int threads)
    {
        _config = config;
        _threads = threads;
        _weights = new EffectiveWeights(config);
        _weights.LoadFrom(parameters);
    }

    public int P => _config.P;

    public float[] Score(long[] tokens)
    {
        var rows = tokens.Length / _config.NCtx;
        var ws = new Workspace(_config, Array.ConvertAll(tokens, t => (int)t), new int[rows], lastPositionOnly: true, withGradients: false);
        TransformerForward.Run(_weights, ws, _threads);
        return ws.Logits;
    }

    public void Dispose() { }
}

internal sealed class OnnxScorer(ModelSession session) : IScorer
{
    public int P => session.P;

    public float[] Score(long[] tokens) => session.Run(tokens)["logits"].Data;

    public void Dispose() => session.Dispose();
}
