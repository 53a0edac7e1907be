using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>The quantized operator patterns our exports use, against integer and double references.</summary>
[TestClass]
public class QuantizedMatMulTests
{
    private const int M = 6;
    private const int K = 96;
    private const int N = 40;

    /// <summary>
    /// Up to ORT_ENABLE_BASIC ONNX Runtime dequantizes and runs its float MatMul, so the int8 model must give bit for bit
    /// what the float model with the C#-dequantized weight gives, with ONNX Runtime's own options as with ours.
    /// </summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_BASIC)]
    public void DequantizeLinearInt8MatMulIsExactUpToBasicOptimization(GraphOptimizationLevel level)
    {
        var (x, w, model) = DequantizeCase();
        using var options = SessionRunner.PlainOptions(level);
        using var quantized = new InferenceSession(model, options);
        using var dense = new InferenceSession(TestModels.MatMulAdd(w, new float[N], K, N), options);

        var yQuantized = SessionRunner.RunFloat(quantized, x, M, K);

        CollectionAssert.AreEqual(SessionRunner.RunFloat(dense, x, M, K), yQuantized, "int8 DequantizeLinear->MatMul differs from the float MatMul of the same weight");
        SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, null, M, K, N), yQuantized, ScalarReference.AbsMatMul(x, w, M, K, N), 1e-5);
    }

    /// <summary>
    /// From ORT_ENABLE_EXTENDED on, ONNX Runtime rewrites DequantizeLinear(int8) -> MatMul into MatMulNBits, by default
    /// at accuracy level 4 (int8 activations, ~1e-2 off). Our session default (accuracy level 1) keeps float32
    /// activations, so the result stays at float rounding of the double reference.
    /// </summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_EXTENDED)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL)]
    public void DequantizeLinearInt8MatMulWithOurSessionDefaultIsFloatAccurateAtHigherLevels(GraphOptimizationLevel level)
    {
        var (x, w, model) = DequantizeCase();
        using var options = SessionRunner.Options(level);
        using var quantized = new InferenceSession(model, options);

        var y = SessionRunner.RunFloat(quantized, x, M, K);

        SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, null, M, K, N), y, ScalarReference.AbsMatMul(x, w, M, K, N), 1e-5);
    }

    /// <summary>
    /// DynamicQuantizeLinear must follow the spec (scale, zero point, round half to even) and MatMulInteger (u8 × s8)
    /// must equal the exact integer sum for weights that cannot saturate on any CPU: ternary codes (what our int8-dynamic
    /// exports hold) and int8 within ±64, where two u8·s8 products sum to at most 2·255·64 = 32,640 &lt; 32,767, so even
    /// VPMADDUBSW's int16 (x86 without VNNI) holds them.
    /// </summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL, (sbyte)0, -1, 1)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, (sbyte)0, -1, 1)]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL, (sbyte)0, -64, 64)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, (sbyte)0, -64, 64)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, (sbyte)5, -64, 64)]
    public void DynamicQuantizeLinearMatMulIntegerIsExactWhereNothingCanSaturate(GraphOptimizationLevel level, sbyte wZeroPoint, int min, int max)
    {
        var (expected, actual) = RunDynamicQuantize(level, wZeroPoint, min, max, seed: 13);
        CollectionAssert.AreEqual(expected, actual, $"y_int, weights in [{min}, {max}] on {CpuFeatures.IntegerGemmPath}");
    }

    /// <summary>
    /// Random int8 weights over the whole range: exact where the CPU has VNNI (VPDPBUSD sums into int32) or is not x86.
    /// On x86 without VNNI ONNX Runtime uses VPMADDUBSW, which adds two raw u8·s8 products into a saturating int16
    /// (measured on an AVX2-only EPYC: -70,893 where the integer sum is -87,259). The test then asserts what saturation
    /// can cost: a pair (u, v) of products with |u + v| &gt; 32,767 loses at most |u| + |v| − 32,767 ≤
    /// max(0, |u| − 16,383.5) + max(0, |v| − 16,383.5), so the error is bounded by Σ_k max(0, |a_k·b_k| − 16,383.5)
    /// whichever products the kernel pairs.
    /// </summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL, (sbyte)0)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, (sbyte)0)]
    public void DynamicQuantizeLinearMatMulIntegerFullRangeWeightsExactWithVnniBoundedBySaturationWithout(GraphOptimizationLevel level, sbyte wZeroPoint)
    {
        var (expected, actual, q, wq) = RunDynamicQuantizeWithInputs(level, wZeroPoint, -127, 127, seed: 17);
        Console.WriteLine($"integer GEMM path from /proc/cpuinfo: {CpuFeatures.IntegerGemmPath}; .NET's own view: Avx512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}, AvxVnni {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}");
        if (!CpuFeatures.IsX86 || CpuFeatures.HasVnni)
        {
            CollectionAssert.AreEqual(expected, actual, $"y_int on {CpuFeatures.IntegerGemmPath}");
            return;
        }
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double bound = 0;
                for (int t = 0; t < K; t++) bound += Math.Max(0, Math.Abs(q[i * K + t] * wq[t * N + j]) - 16383.5);
                long error = Math.Abs((long)actual[i * N + j] - expected[i * N + j]);
                Assert.IsTrue(error <= bound, $"y_int[{i}, {j}] = {actual[i * N + j]}, exact {expected[i * N + j]}: off by {error}, more than int16 saturation can explain ({bound}) on {CpuFeatures.IntegerGemmPath}");
            }
    }

    /// <summary>The float-out dynamic int8 linear (fused by ONNX Runtime at level 99) equals the integer sum times both scales.</summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL)]
    public void DynamicQuantizeMatMulFloatOutputMatchesScaledIntegerReference(GraphOptimizationLevel level)
    {
        var wq = TestData.Int8(K * N, seed: 15, min: -64, max: 64);
        const float wScale = 0.02f;
        var x = TestData.Floats(M * K, seed: 16);
        using var options = SessionRunner.Options(level);
        using var session = new InferenceSession(TestModels.DynamicQuantizeMatMulFloat(wq, wScale, K, N), options);

        var y = SessionRunner.RunFloat(session, x, M, K);

        var (q, xScale, xZeroPoint) = ScalarReference.DynamicQuantize(x);
        var integer = ScalarReference.MatMulInteger(q, xZeroPoint, wq, 0, M, K, N);
        double combined = (double)xScale * wScale;
        var expected = integer.Select(v => v * combined).ToArray();
        SessionRunner.AssertClose(expected, y, expected.Select(Math.Abs).ToArray(), relative: 1e-6, absolute: 1e-6);
    }

    private static (float[] X, float[] W, byte[] Model) DequantizeCase()
    {
        var wq = TestData.Int8(K * N, seed: 11);
        const float scale = 0.0123f;
        const sbyte zeroPoint = -3;
        return (TestData.Floats(M * K, seed: 12), ScalarReference.Dequantize(wq, scale, zeroPoint), TestModels.DequantizeMatMul(wq, scale, zeroPoint, K, N));
    }

    private static (int[] Expected, int[] Actual) RunDynamicQuantize(GraphOptimizationLevel level, sbyte wZeroPoint, int min, int max, int seed)
    {
        var (expected, actual, _, _) = RunDynamicQuantizeWithInputs(level, wZeroPoint, min, max, seed);
        return (expected, actual);
    }

    /// <summary>Runs DynamicQuantizeLinear + MatMulInteger, checks the quantized activations against the spec, returns y_int both ways.</summary>
    private static (int[] Expected, int[] Actual, byte[] Q, sbyte[] Wq) RunDynamicQuantizeWithInputs(GraphOptimizationLevel level, sbyte wZeroPoint, int min, int max, int seed)
    {
        var wq = TestData.Int8(K * N, seed: seed, min: min, max: max);
        var x = TestData.Floats(M * K, seed: seed + 1, scale: 3f);
        using var options = SessionRunner.Options(level);
        using var session = new InferenceSession(TestModels.DynamicQuantizeMatMulInteger(wq, wZeroPoint, K, N), options);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [M, K]);

        using var outputs = session.Run(new RunOptions(), ["x"], [input], ["x_q", "x_scale", "x_zero_point", "y_int"]);

        var (qRef, scaleRef, zeroPointRef) = ScalarReference.DynamicQuantize(x);
        Assert.AreEqual(scaleRef, outputs[1].GetTensorDataAsSpan<float>()[0], "x_scale");
        Assert.AreEqual(zeroPointRef, outputs[2].GetTensorDataAsSpan<byte>()[0], "x_zero_point");
        CollectionAssert.AreEqual(qRef, outputs[0].GetTensorDataAsSpan<byte>().ToArray(), "x_q");
        var expected = ScalarReference.MatMulInteger(qRef, zeroPointRef, wq, wZeroPoint, M, K, N);
        return (expected, outputs[3].GetTensorDataAsSpan<int>().ToArray(), qRef, wq);
    }
}
