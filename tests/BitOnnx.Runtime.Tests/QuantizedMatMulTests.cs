using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Runtime.Tests;

[TestClass]
public class QuantizedMatMulTests
{
    private const int M = 6;
    private const int K = 96;
    private const int N = 40;

    /// <summary>
    /// At levels 0 and 1 ORT dequantizes and runs its float MatMul, so the int8 model must give bit for bit what the
    /// float model with the C#-dequantized weight gives, and both must match the double reference.
    /// </summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_BASIC)]
    public void DequantizeLinearInt8_MatMul_IsExactUpToBasicOptimization(GraphOptimizationLevel level)
    {
        var wq = TestData.Int8(K * N, seed: 11);
        const float scale = 0.0123f;
        const sbyte zeroPoint = -3;
        var x = TestData.Floats(M * K, seed: 12);
        var w = ScalarReference.Dequantize(wq, scale, zeroPoint);
        using var options = SessionRunner.Options(level);
        using var quantized = new InferenceSession(TestModels.DequantizeMatMul(wq, scale, zeroPoint, K, N), options);
        using var dense = new InferenceSession(TestModels.MatMulAdd(w, new float[N], K, N), options);

        var yQuantized = SessionRunner.RunFloat(quantized, x, M, K);
        var yDense = SessionRunner.RunFloat(dense, x, M, K);

        CollectionAssert.AreEqual(yDense, yQuantized, "int8 DequantizeLinear->MatMul differs from the float MatMul of the same weight");
        SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, null, M, K, N), yQuantized, ScalarReference.AbsMatMul(x, w, M, K, N), 1e-5);
    }

    /// <summary>
    /// DynamicQuantizeLinear must follow the spec's formulas (scale, zero point, round half to even) and
    /// MatMulInteger (uint8 × int8) must equal the exact integer sum, whatever the optimization level.
    /// </summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL, (sbyte)0)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, (sbyte)0)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, (sbyte)5)]
    public void DynamicQuantizeLinear_MatMulInteger_MatchesIntegerReference(GraphOptimizationLevel level, sbyte wZeroPoint)
    {
        var wq = TestData.Int8(K * N, seed: 13, min: -127, max: 127);
        var x = TestData.Floats(M * K, seed: 14, scale: 3f);
        using var options = SessionRunner.Options(level);
        using var session = new InferenceSession(TestModels.DynamicQuantizeMatMulInteger(wq, wZeroPoint, K, N), options);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [M, K]);

        using var outputs = session.Run(null, new Dictionary<string, OrtValue> { ["x"] = input }, ["x_q", "x_scale", "x_zero_point", "y_int"]);

        var (qRef, scaleRef, zeroPointRef) = ScalarReference.DynamicQuantize(x);
        Assert.AreEqual(scaleRef, outputs[1].GetTensorDataAsSpan<float>()[0], "x_scale");
        Assert.AreEqual(zeroPointRef, outputs[2].GetTensorDataAsSpan<byte>()[0], "x_zero_point");
        CollectionAssert.AreEqual(qRef, outputs[0].GetTensorDataAsSpan<byte>().ToArray(), "x_q");
        var yRef = ScalarReference.MatMulInteger(qRef, zeroPointRef, wq, wZeroPoint, M, K, N);
        CollectionAssert.AreEqual(yRef, outputs[3].GetTensorDataAsSpan<int>().ToArray(), "y_int");
    }

    /// <summary>The float-out dynamic int8 linear (fused by ORT at level 99) equals the integer sum times both scales.</summary>
    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL)]
    public void DynamicQuantizeMatMul_FloatOutput_MatchesScaledIntegerReference(GraphOptimizationLevel level)
    {
        var wq = TestData.Int8(K * N, seed: 15, min: -127, max: 127);
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

    /// <summary>com.microsoft MatMulNBits against the dense weight it encodes (2-bit first; 4 and 8 for the layout).</summary>
    [TestMethod]
    [DataRow(2, 16)]
    [DataRow(2, 32)]
    [DataRow(4, 16)]
    [DataRow(8, 32)]
    public void MatMulNBits_MatchesDenseReference(int bits, int blockSize)
    {
        const int k = 64;
        const int n = 24;
        const int m = 5;
        int blocks = k / blockSize;
        var q = TestData.Ints(n, k, seed: 21 + bits, maxExclusive: 1 << bits);
        var zeroPoints = TestData.Ints(n, blocks, seed: 22 + bits, maxExclusive: 1 << bits);
        var scales = TestData.PositiveFloats(n, blocks, seed: 23 + bits);
        var x = TestData.Floats(m * k, seed: 24);
        byte[] model = TestModels.MatMulNBits(
            NBitsPacking.PackWeights(q, k, n, bits, blockSize),
            NBitsPacking.FlattenScales(scales, n, blocks),
            NBitsPacking.PackZeroPoints(zeroPoints, n, blocks, bits),
            k, n, bits, blockSize);
        using var session = new InferenceSession(model, SessionRunner.Options(GraphOptimizationLevel.ORT_ENABLE_ALL));

        var y = SessionRunner.RunFloat(session, x, m, k);

        var w = ScalarReference.DequantizeBlockwise(q, zeroPoints, scales, k, n, blockSize);
        SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, null, m, k, n), y, ScalarReference.AbsMatMul(x, w, m, k, n), 1e-5);
    }
}
