using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>
/// com.microsoft MatMulNBits, packed by hand from the contrib-op spec (<see cref="NBitsPacking"/>, not the exporter),
/// against a dense float MatMul of the weight it encodes: w[k, n] = (q[n, k] − zp[n, k/bs])·scale[n, k/bs].
/// </summary>
[TestClass]
public class MatMulNBitsTests
{
    /// <summary>
    /// bits 2, 4, 8; K = 64 fills its blocks, K = 72 leaves a padded last block (5 blocks of 16, 8 rows of padding); with
    /// 5 blocks the 2- and 4-bit zero points take 2 and 3 bytes per column (multi-byte zero points).
    /// </summary>
    [TestMethod]
    [DataRow(2, 16, 64)]
    [DataRow(2, 32, 64)]
    [DataRow(4, 16, 64)]
    [DataRow(8, 32, 64)]
    [DataRow(2, 16, 72)]
    [DataRow(4, 16, 72)]
    public void MatMulNBitsEqualsTheDenseFloatMatMulOfItsWeight(int bits, int blockSize, int k)
    {
        const int n = 24;
        const int m = 5;
        int blocks = NBitsPacking.Blocks(k, blockSize);
        var q = TestData.Ints(n, k, seed: 21 + bits, maxExclusive: 1 << bits);
        var zeroPoints = TestData.Ints(n, blocks, seed: 22 + bits, maxExclusive: 1 << bits);
        var scales = TestData.PositiveFloats(n, blocks, seed: 23 + bits);
        var x = TestData.Floats(m * k, seed: 24);
        byte[] model = TestModels.MatMulNBits(
            NBitsPacking.PackWeights(q, k, n, bits, blockSize, padding: (1 << bits) - 1),
            NBitsPacking.FlattenScales(scales, n, blocks),
            NBitsPacking.PackZeroPoints(zeroPoints, n, blocks, bits),
            k, n, bits, blockSize);
        var w = ScalarReference.DequantizeBlockwise(q, zeroPoints, scales, k, n, blockSize);
        using var options = SessionRunner.Options(GraphOptimizationLevel.ORT_ENABLE_ALL);
        using var session = new InferenceSession(model, options);
        using var dense = new InferenceSession(TestModels.MatMulAdd(w, new float[n], k, n), options);

        var y = SessionRunner.RunFloat(session, x, m, k);

        var scale = ScalarReference.AbsMatMul(x, w, m, k, n);
        SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, null, m, k, n), y, scale, 1e-5);
        SessionRunner.AssertClose(Array.ConvertAll(SessionRunner.RunFloat(dense, x, m, k), v => (double)v), y, scale, 2e-6);
    }
}
