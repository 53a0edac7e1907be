using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Onnx.Verification;

/// <summary>How far one output of the ONNX model is from the reference's, over all P*P pairs.</summary>
/// <param name="MaxAbsDifference">max |onnx − reference| over elements, equal infinities (masked scores) counting as 0.</param>
/// <param name="Magnitude">max |reference| over the finite elements.</param>
/// <param name="Tolerance">
/// Allowed difference per unit of magnitude: float32 rounding grows with the size of the values summed, and unscaled
/// binary weights (±1) give activations in the hundreds, so the bound is Tolerance · max(1, Magnitude).
/// </param>
public sealed record OutputDifference(string Name, double MaxAbsDifference, double Magnitude, double Tolerance)
{
    public double Bound => Tolerance * Math.Max(1, Magnitude);
    public bool Passed => MaxAbsDifference <= Bound;
}

/// <summary>The comparison of every shared output; "engine" is the reference (the engine's activations in the CLI).</summary>
public sealed record VerificationReport(IReadOnlyList<OutputDifference> Outputs, int Pairs, int PredictionMismatches,
    double EngineAccuracy, double OnnxAccuracy)
{
    public bool Passed => Outputs.All(o => o.Passed);
}

/// <summary>
/// Runs a <see cref="ModelSession"/> on all P*P pairs (rows a·P + b, Core's ModularAdditionData order) and compares every
/// output it shares with reference activations the caller computed on the same rows (the engine's ActivationCache, or
/// any other backend), keyed by TransformerLens hook name; the reference must hold <see cref="HookNames.Logits"/> [P², P].
/// This project does not run the reference itself, so ONNX never depends on the engine.
/// </summary>
public static class ExportVerification
{
    public const double DefaultTolerance = 1e-4;

    /// <summary>
    /// The bound for the formats that round each linear's input to 8 bits on every call: int2 (each row scaled by its
    /// max |x|, then DynamicQuantizeLinear), int2-native (MatMulNBits, accuracy_level 4: int8 per block of each row) and
    /// int8-dynamic (DynamicQuantizeLinear over the whole call). Weights and integer products are exact; an activation x_k
    /// is moved by at most half a rounding step, max|row|/255 for int2, max|block|/254 for int2-native, range/510 for
    /// int8-dynamic, so an output of a linear moves by at most γ·Σ_k |c_k|·(half a step): about 1/255 of the largest
    /// input times the number of nonzero codes in its column, in the worst case, and √(nnz/3) times less when the
    /// roundings are independent, which they are. A layer chains four such linears and the errors add. Measured: the
    /// shipped P = 113 models' logits move by 1.0–1.6% (int2) and 1.0–1.7% (int2-native) of their largest logit;
    /// int8-dynamic moved those of the small trained models of the tests by up to 3.2% and their probes by up to 5.1% (the
    /// attention pattern of a li2024 binary model, whose unscaled ±1 weights give scores near 30 that softmax sharpens);
    /// 1e-1 keeps twice that margin. It does
    /// not hold where outputs are a small difference of large activations (untrained binary models: logits near 2 from
    /// activations in the hundreds); verify those with int2-exact.
    /// </summary>
    public const double DynamicTolerance = 1e-1;

    /// <summary>The tolerance `bitonnx verify` applies: <see cref="DynamicTolerance"/> where the model quantizes its activations.</summary>
    public static double ToleranceFor(ExportMetadata metadata) => metadata.QuantizedActivations ? DynamicTolerance : DefaultTolerance;

    /// <param name="p">The modulus of the model the reference came from; a session for another P is refused.</param>
    public static VerificationReport Run(ModelSession session, int p, IReadOnlyDictionary<string, NamedTensor> reference, double tolerance)
    {
        if (session.P != p)
            throw new OnnxModelMismatchException($"The ONNX model is for P = {session.P} but the checkpoint is for P = {p}; give the checkpoint it was exported from.");
        RequireReferenceLogits(p, reference);
        var rows = ModularAdditionData.AllRows(p);
        var tokens = ModularAdditionData.Tokens(p, rows);
        var shared = session.OutputNames.Where(reference.ContainsKey).ToList();
        var outputs = session.Run(Array.ConvertAll(tokens, t => (long)t), shared).ToDictionary(o => o.Key, o => o.Value.Data);
        return Compare(p, reference, outputs, tolerance);
    }

    /// <summary>The reference's logits over all P² pairs; a reference without them is a caller's mistake, refused before any run.</summary>
    private static NamedTensor RequireReferenceLogits(int p, IReadOnlyDictionary<string, NamedTensor> reference) =>
        reference.TryGetValue(HookNames.Logits, out var logits) && logits.Data.Length == p * p * p
            ? logits
            : throw new ArgumentException($"The reference must hold '{HookNames.Logits}' [{p * p}, {p}] over all pairs.", nameof(reference));

    /// <summary>
    /// Compares <paramref name="outputs"/>, computed over all P² pairs (rows a·P + b) by whatever runs the model, with the
    /// reference on every output they share; <paramref name="outputs"/> must hold the logits.
    /// </summary>
    public static VerificationReport Compare(int p, IReadOnlyDictionary<string, NamedTensor> reference, IReadOnlyDictionary<string, float[]> outputs, double tolerance)
    {
        var rows = ModularAdditionData.AllRows(p);
        var referenceLogits = RequireReferenceLogits(p, reference);
        if (!outputs.TryGetValue(HookNames.Logits, out var onnxLogits))
            throw new ArgumentException($"The outputs must hold '{HookNames.Logits}'.", nameof(outputs));
        var targets = ModularAdditionData.Targets(p, rows);
        var differences = outputs.Keys.Where(reference.ContainsKey).Select(name =>
            new OutputDifference(name, MaxAbsDifference(reference[name].Data, outputs[name]), Magnitude(reference[name].Data), tolerance)).ToList();
        var engineLogits = referenceLogits.Data;
        int mismatches = 0, engineHits = 0, onnxHits = 0;
        for (var r = 0; r < rows.Length; r++)
        {
            var e = ArgMax(engineLogits.AsSpan(r * p, p));
            var o = ArgMax(onnxLogits.AsSpan(r * p, p));
            if (e != o) mismatches++;
            if (e == targets[r]) engineHits++;
            if (o == targets[r]) onnxHits++;
        }
        return new VerificationReport(differences, rows.Length, mismatches, (double)engineHits / rows.Length, (double)onnxHits / rows.Length);
    }

    public static double MaxAbsDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length) return double.PositiveInfinity;
        double max = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] == actual[i]) continue;
            var d = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            max = Math.Max(max, d);
        }
        return max;
    }

    public static double Magnitude(ReadOnlySpan<float> values)
    {
        double max = 0;
        foreach (var v in values)
            if (float.IsFinite(v)) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    /// <summary>The first index of the largest value (the predicted class).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
