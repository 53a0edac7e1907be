using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Engine.Model;

namespace BitOnnx.ML.Tests;

/// <summary>The training engine's logits [P², P] for every pair (row a·P + b): the reference the ONNX paths must meet.</summary>
public static class EngineReference
{
    public static float[] Logits(ModelCheckpoint.Loaded checkpoint)
    {
        var c = checkpoint.Config;
        var weights = new EffectiveWeights(c);
        weights.LoadFrom(checkpoint.Parameters);
        var rows = ModularAdditionData.AllRows(c.P);
        var ws = new Workspace(c, ModularAdditionData.Tokens(c.P, rows), ModularAdditionData.Targets(c.P, rows), lastPositionOnly: true, withGradients: false);
        TransformerForward.Run(weights, ws, threads: 2);
        return ws.Logits.ToArray();
    }

    /// <summary>Softmax of one row, in double.</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var e = new double[logits.Length];
        var sum = 0.0;
        for (var i = 0; i < e.Length; i++) sum += e[i] = Math.Exp(logits[i] - max);
        for (var i = 0; i < e.Length; i++) e[i] /= sum;
        return e;
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
