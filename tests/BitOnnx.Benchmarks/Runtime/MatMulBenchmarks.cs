using BenchmarkDotNet.Attributes;
using BitOnnx.Onnx;
using Microsoft.ML.OnnxRuntime;
using OnnxType = BitOnnx.Onnx.TensorElementType;

namespace BitOnnx.Benchmarks.Runtime;

/// <summary>
/// [12769 × 128]·[128 × 512] through ONNX Runtime's official API (12769 = 113², one row per (a, b) pair): float MatMul versus the
/// dynamic int8 linear (DynamicQuantizeLinear + MatMulInteger + scale, fused by ORT into DynamicQuantizeMatMul).
/// </summary>
[Config(typeof(ShortInProcessConfig))]
public class MatMulBenchmarks
{
    private const int Rows = 12769;
    private const int K = 128;
    private const int N = 512;

    private InferenceSession floatSession = null!;
    private InferenceSession int8Session = null!;
    private OrtValue input = null!;
    private readonly RunOptions runOptions = new();

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var w = Enumerable.Range(0, K * N).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.1f).ToArray();
        var wq = w.Select(v => (sbyte)Math.Clamp(Math.Round(v / 0.1 * 127), -127, 127)).ToArray();
        var x = Enumerable.Range(0, Rows * K).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using var options = BitOnnx.Onnx.Runtime.SessionDefaults.Create(new BitOnnx.Onnx.Runtime.ModelSessionOptions { Threads = Threads });
        floatSession = new InferenceSession(FloatModel(w), options);
        int8Session = new InferenceSession(DynamicInt8Model(wq, 0.1f / 127), options);
        input = OrtValue.CreateTensorValueFromMemory(x, [Rows, K]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        floatSession.Dispose();
        int8Session.Dispose();
        input.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float Float() => RunOnce(floatSession);

    [Benchmark]
    public float DynamicInt8() => RunOnce(int8Session);

    private float RunOnce(InferenceSession session)
    {
        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    private static byte[] FloatModel(float[] w)
    {
        var g = new OnnxGraphBuilder("matmul_float");
        var x = g.Input("x", OnnxType.Float, ["rows", K]);
        var y = g.Node("MatMul", [x, g.Initializer("W", w, [K, N])], output: "y");
        g.Output(y, OnnxType.Float, ["rows", N]);
        return new OnnxModel(g.Build()).ToBytes();
    }

    private static byte[] DynamicInt8Model(sbyte[] wq, float wScale)
    {
        var g = new OnnxGraphBuilder("matmul_dynamic_int8");
        var x = g.Input("x", OnnxType.Float, ["rows", K]);
        var q = g.Node("DynamicQuantizeLinear", [x], 3);
        var product = g.Node("MatMulInteger", [q[0], g.Initializer("W_q", wq, [K, N]), q[2]]);
        var asFloat = g.Node("Cast", [product], new NodeAttributes { { "to", (long)OnnxType.Float } });
        var scale = g.Node("Mul", [q[1], g.Scalar("W_scale", wScale)]);
        var y = g.Node("Mul", [asFloat, scale], output: "y");
        g.Output(y, OnnxType.Float, ["rows", N]);
        return new OnnxModel(g.Build()).ToBytes();
    }
}
