using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>
/// com.microsoft MatMulNBits with bits = 2 on ONNX Runtime 1.32.0's CPU provider: which configurations reach MLAS's
/// native 2-bit kernels (read from ONNX Runtime's own log, <see cref="OrtLog"/>), and what those kernels compute, against
/// a scalar reference of their int8 activations (<see cref="ScalarReference.BlockInt8MatMulNBits"/>). The kernels exist
/// for x86 with AVX2 (AVX2, AVX-VNNI: PR #29619) or AVX-512 (AVX-512, AVX-512 VNNI: PR #29064); these tests run where
/// the CPU has AVX2 at least, and say which family ran.
/// </summary>
[TestClass]
public class NativeTwoBitKernelTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>
    /// MatMulNBits' compute type is int8 (SQNBIT_CompInt8) only with accuracy_level 4, and MLAS has 2-bit kernels for
    /// block lengths 32, 64 and 128 only (MlasIsQNBitGemmAvailable); it prepacks B, which its kernels need, only with
    /// uint8 zero points or none (a float zero point sets has_unquantized_zero_point_). Anything else de-quantizes the
    /// weights to float on every call and logs the fallback message (matmul_nbits.cc).
    /// </summary>
    [TestMethod]
    [DataRow(32, 4L, "uint8", false)]
    [DataRow(64, 4L, "uint8", false)]
    [DataRow(128, 4L, "uint8", false)]
    [DataRow(128, 4L, "none", false)]
    [DataRow(16, 4L, "uint8", true)]
    [DataRow(128, 0L, "uint8", true)]
    [DataRow(128, 4L, "float", true)]
    public void NativeKernelsRunOnlyWithAccuracyLevel4ANativeBlockAndIntegerZeroPoints(int blockSize, long accuracyLevel, string zeroPoints, bool fallsBack)
    {
        RequireAvx2();
        const int k = 128, n = 64, m = 3;
        var model = Model(k, n, blockSize, accuracyLevel, zeroPoints, out _, out _, out _);
        using var capture = OrtLog.Start();
        using var options = capture.Apply(SessionRunner.Options(GraphOptimizationLevel.ORT_ENABLE_ALL));
        using var session = new InferenceSession(model, options);
        SessionRunner.RunFloat(session, TestData.Floats(m * k, seed: 5), m, k);

        var fallbacks = capture.Containing(OrtLog.FallbackMessage);
        Assert.AreEqual(fallsBack, fallbacks.Count > 0,
            $"block {blockSize}, accuracy_level {accuracyLevel}, {zeroPoints} zero points on {CpuFeatures.KernelFamily}: {string.Join(" | ", fallbacks)}");
        TestContext.WriteLine($"{CpuFeatures.KernelFamily}: block {blockSize}, accuracy_level {accuracyLevel}, {zeroPoints} zero points: {(fallsBack ? "de-quantized to float" : "native 2-bit kernel")}");
    }

    /// <summary>
    /// With accuracy_level 4 the activations are rounded to int8 per block of each row (127 / max|x| of the block, half to
    /// even) and multiplied in integers: the output equals that reference to float rounding, is not the float product
    /// (the rounding shows), and stays within the rounding's bound, Σ_b scale·(max_b|x| / 254)·Σ_(k in b) |q − zp|.
    /// With one block per row (block = K) the rounding is BitNet b1.58's per-token absmax; with smaller blocks each block
    /// has its own scale, which is what differs from BitNet. K = 72 pads its last block of 32.
    /// </summary>
    [TestMethod]
    [DataRow(128, 128)]
    [DataRow(128, 32)]
    [DataRow(512, 128)]
    [DataRow(512, 64)]
    [DataRow(72, 32)]
    public void Int8ActivationsAreRoundedPerBlockOfEachRow(int k, int blockSize)
    {
        RequireAvx2();
        const int n = 48, m = 7;
        var model = Model(k, n, blockSize, 4, "uint8", out var q, out var zeroPoints, out var scales);
        var x = TestData.Floats(m * k, seed: 31 + k + blockSize, scale: 3f);
        using var capture = OrtLog.Start();
        using var options = capture.Apply(SessionRunner.Options(GraphOptimizationLevel.ORT_ENABLE_ALL));
        using var session = new InferenceSession(model, options);

        var y = SessionRunner.RunFloat(session, x, m, k);

        Assert.AreEqual(0, capture.Containing(OrtLog.FallbackMessage).Count, $"the native kernel ran on {CpuFeatures.KernelFamily}");
        var w = ScalarReference.DequantizeBlockwise(q, zeroPoints, scales, k, n, blockSize);
        var exact = ScalarReference.MatMulAdd(x, w, null, m, k, n);
        var reference = ScalarReference.BlockInt8MatMulNBits(x, q, zeroPoints, scales, m, k, n, blockSize);
        var magnitude = ScalarReference.AbsMatMul(x, w, m, k, n);
        SessionRunner.AssertClose(reference, y, magnitude, 1e-5);

        var bound = RoundingBound(x, q, zeroPoints, scales, m, k, n, blockSize);
        double largest = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double off = Math.Abs(y[i] - exact[i]);
            Assert.IsTrue(off <= bound[i] + 1e-5 * magnitude[i], $"output {i}: {off:E3} from the float product, above the rounding bound {bound[i]:E3}");
            largest = Math.Max(largest, off / magnitude[i]);
        }
        Assert.IsTrue(largest > 1e-4, $"the int8 rounding shows (largest relative difference from the float product {largest:E2})");
        if (blockSize < k)
        {
            var perToken = ScalarReference.BlockInt8MatMulNBits(x, q, zeroPoints, scales, m, k, n, blockSize: k);
            Assert.IsTrue(Enumerable.Range(0, y.Length).Any(i => Math.Abs(y[i] - perToken[i]) > 1e-4 * magnitude[i]), "blocks shorter than a row are scaled on their own, not per token");
        }
        TestContext.WriteLine($"{CpuFeatures.KernelFamily}: K {k}, block {blockSize}: largest |y − float| / Σ|x·w| = {largest:E2}");
    }

    /// <summary>|Δy[m, n]| ≤ Σ_b scale[n, b]·(max_b|x[m]| / 254)·Σ_(k in b) |q[n, k] − zp[n, b]|: half a step per weight.</summary>
    private static double[] RoundingBound(float[] x, int[,] q, int[,] zeroPoints, float[,] scales, int m, int k, int n, int blockSize)
    {
        int blocks = (k + blockSize - 1) / blockSize;
        var bound = new double[m * n];
        for (int row = 0; row < m; row++)
            for (int col = 0; col < n; col++)
                for (int b = 0; b < blocks; b++)
                {
                    double max = 0, weights = 0;
                    for (int t = b * blockSize; t < Math.Min(k, (b + 1) * blockSize); t++)
                    {
                        max = Math.Max(max, Math.Abs(x[row * k + t]));
                        weights += Math.Abs(q[col, t] - zeroPoints[col, b]);
                    }
                    bound[row * n + col] += scales[col, b] * max / 254 * weights;
                }
        return bound;
    }

    /// <summary>Ternary codes 1, 2, 3 (zero point 2) in [N, K], per-block scales, packed from the contrib-op spec.</summary>
    private static byte[] Model(int k, int n, int blockSize, long accuracyLevel, string zeroPointKind, out int[,] q, out int[,] zeroPoints, out float[,] scales)
    {
        const int bits = 2;
        int blocks = NBitsPacking.Blocks(k, blockSize);
        q = TestData.Ints(n, k, seed: 41 + k, maxExclusive: 3);
        for (int col = 0; col < n; col++)
            for (int row = 0; row < k; row++) q[col, row] += 1;
        zeroPoints = new int[n, blocks];
        for (int col = 0; col < n; col++)
            for (int b = 0; b < blocks; b++) zeroPoints[col, b] = 2;
        scales = TestData.PositiveFloats(n, blocks, seed: 43 + k);
        var packed = NBitsPacking.PackWeights(q, k, n, bits, blockSize, padding: 2);
        var flatScales = NBitsPacking.FlattenScales(scales, n, blocks);
        return zeroPointKind switch
        {
            "uint8" => TestModels.MatMulNBits(packed, flatScales, NBitsPacking.PackZeroPoints(zeroPoints, n, blocks, bits), k, n, bits, blockSize, accuracyLevel),
            "float" => TestModels.MatMulNBits(packed, flatScales, null, k, n, bits, blockSize, accuracyLevel, Enumerable.Repeat(2f, n * blocks).ToArray()),
            _ => TestModels.MatMulNBits(packed, flatScales, null, k, n, bits, blockSize, accuracyLevel),
        };
    }

    private static void RequireAvx2()
    {
        if (!CpuFeatures.IsX86 || !CpuFeatures.HasAvx2)
            Assert.Inconclusive($"ONNX Runtime 1.32.0 has 2-bit kernels for x86 with AVX2 or AVX-512 (tested) and ARM64 (not tested here); this CPU: {CpuFeatures.KernelFamily}.");
    }
}
