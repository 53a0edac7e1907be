namespace BitOnnx.PlainMlNet.Tests;

/// <summary>
/// The training engine's answers for one model, as BitOnnx.ML.Tests writes them (little-endian): int32 P, int32 n,
/// int32 pair[n] (row a·P + b), float32 logits[n·P], uint8 argmax[P²].
/// </summary>
public sealed record EngineAnswers(int P, int[] Pairs, float[] Logits, byte[] ArgMax)
{
    public static EngineAnswers Read(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        var p = r.ReadInt32();
        var n = r.ReadInt32();
        var pairs = Enumerable.Range(0, n).Select(_ => r.ReadInt32()).ToArray();
        var logits = Enumerable.Range(0, n * p).Select(_ => r.ReadSingle()).ToArray();
        return new EngineAnswers(p, pairs, logits, r.ReadBytes(p * p));
    }

    /// <summary>The engine's probabilities for the i-th sampled pair: softmax of its logits, in double.</summary>
    public double[] Probabilities(int i)
    {
        var row = Logits.AsSpan(i * P, P);
        var max = double.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v);
        var e = new double[P];
        var sum = 0.0;
        for (var k = 0; k < P; k++) sum += e[k] = Math.Exp(row[k] - max);
        for (var k = 0; k < P; k++) e[k] /= sum;
        return e;
    }
}
