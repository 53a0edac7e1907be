using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Tests.Runtime;

namespace BitOnnx.Onnx.Tests.Export;

/// <summary>
/// What each 2-bit format computes for one linear, W_out, on ONNX Runtime: its input (hook_post) and output
/// (hook_mlp_out) are probes of the same run, and the output is checked against a scalar reference of the format's
/// arithmetic on that input with the checkpoint's own codes. The model is an initialized li2024 ternary one (d_mlp 128,
/// so K = 128: one block of 128; P = 23, all 529 pairs at 3 positions in one call).
/// </summary>
[TestClass]
public class TwoBitLinearTests
{
    private const int P = 23, DModel = 32, DMlp = 128;

    /// <summary>int2-exact: the float product of the folded weights, unpacked from 2 bits at load.</summary>
    [TestMethod]
    public void Int2ExactIsTheFloatProduct()
    {
        var (x, y, linear, rows) = Run(WeightFormat.Int2Exact);
        var w = Weights(linear);
        SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, null, rows, DMlp, DModel), y, ScalarReference.AbsMatMul(x, w, rows, DMlp, DModel), 1e-5);
    }

    /// <summary>
    /// int2: each row divided by max(max|row|, 1e-5), the whole call's tensor rounded by DynamicQuantizeLinear (uint8,
    /// scale (max − min)/255 over a range that includes 0), multiplied by the int8 codes in integers, then scaled by
    /// x_scale·γ and the row's divisor. Within float rounding of that reference, and within max|row|/255 per activation of
    /// the float product.
    /// </summary>
    [TestMethod]
    public void Int2IsRowScaledDynamicQuantization()
    {
        var (x, y, linear, rows) = Run(WeightFormat.Int2);
        var w = Weights(linear);
        var rowScales = new float[rows];
        var unit = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            rowScales[r] = Math.Max(x.AsSpan(r * DMlp, DMlp).ToArray().Max(Math.Abs), 1e-5f);
            for (int t = 0; t < DMlp; t++) unit[r * DMlp + t] = x[r * DMlp + t] / rowScales[r];
        }
        var (q, scale, zeroPoint) = ScalarReference.DynamicQuantize(unit);
        var codes = new sbyte[DMlp * DModel];
        for (int k = 0; k < DMlp; k++)
            for (int n = 0; n < DModel; n++) codes[k * DModel + n] = (sbyte)linear.CodeAt(k, n);
        var products = ScalarReference.MatMulInteger(q, zeroPoint, codes, 0, rows, DMlp, DModel);
        var reference = new double[rows * DModel];
        for (int i = 0; i < reference.Length; i++) reference[i] = (double)products[i] * scale * linear.Scale * rowScales[i / DModel];

        var magnitude = ScalarReference.AbsMatMul(x, w, rows, DMlp, DModel);
        SessionRunner.AssertClose(reference, y, magnitude, 1e-5);
        var exact = ScalarReference.MatMulAdd(x, w, null, rows, DMlp, DModel);
        for (int i = 0; i < y.Length; i++)
        {
            int r = i / DModel, n = i % DModel;
            double bound = rowScales[r] / 255 * Enumerable.Range(0, DMlp).Sum(k => Math.Abs(w[k * DModel + n]));
            Assert.IsTrue(Math.Abs(y[i] - exact[i]) <= bound + 1e-5 * magnitude[i], $"output {i}: {Math.Abs(y[i] - exact[i]):E3} above {bound:E3}");
        }
    }

    /// <summary>int2-native: MatMulNBits with accuracy_level 4, int8 activations per block of each row (one block of 128 here).</summary>
    [TestMethod]
    public void Int2NativeIsBlockInt8Quantization()
    {
        if (!CpuFeatures.IsX86 || !CpuFeatures.HasAvx2) Assert.Inconclusive($"MLAS's 2-bit kernels are tested on x86 with AVX2 or AVX-512; this CPU: {CpuFeatures.KernelFamily}.");
        var (x, y, linear, rows) = Run(WeightFormat.Int2Native);
        int blockSize = NBitsCodes.BlockSize(DMlp), blocks = NBitsCodes.Blocks(DMlp, blockSize);
        var q = new int[DModel, DMlp];
        var zeroPoints = new int[DModel, blocks];
        var scales = new float[DModel, blocks];
        for (int n = 0; n < DModel; n++)
        {
            for (int k = 0; k < DMlp; k++) q[n, k] = linear.CodeAt(k, n) + NBitsCodes.ZeroPoint;
            for (int b = 0; b < blocks; b++) (zeroPoints[n, b], scales[n, b]) = (NBitsCodes.ZeroPoint, linear.Scale);
        }
        var reference = ScalarReference.BlockInt8MatMulNBits(x, q, zeroPoints, scales, rows, DMlp, DModel, blockSize);
        var w = Weights(linear);
        SessionRunner.AssertClose(reference, y, ScalarReference.AbsMatMul(x, w, rows, DMlp, DModel), 1e-5);
    }

    private static (float[] X, float[] Y, FoldedLinear Linear, int Rows) Run(WeightFormat format)
    {
        var config = TransformerConfig.Li2024 with { P = P, DModel = DModel, NHeads = 4, DHead = 8, DMlp = DMlp, Quantization = WeightQuantization.Ternary };
        var checkpoint = new ModelCheckpoint.Loaded(config, ParameterInitializer.Initialize(config, seed: 11), new CheckpointFacts(0, 0, 0.3, []),
            new Dictionary<string, NamedTensor>(), new Dictionary<string, string>());
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = HookSelection.Every });
        using var session = ModelSession.FromModel(export.Model, format.ToString(), new ModelSessionOptions { Threads = 1 });
        var outputs = session.RunGrid([HookNames.MlpPost(0), HookNames.MlpOut(0)]);
        var x = outputs[HookNames.MlpPost(0)].Data;
        return (x, outputs[HookNames.MlpOut(0)].Data, FoldedLinear.From(config, checkpoint.Parameters, ParameterNames.MlpOut(0)), x.Length / DMlp);
    }

    /// <summary>The folded W_out as the [K, N] float matrix of x·W.</summary>
    private static float[] Weights(FoldedLinear linear)
    {
        var w = new float[linear.Rows * linear.Columns];
        for (int k = 0; k < linear.Rows; k++)
            for (int n = 0; n < linear.Columns; n++) w[k * linear.Columns + n] = linear.ValueAt(k, n);
        return w;
    }
}
