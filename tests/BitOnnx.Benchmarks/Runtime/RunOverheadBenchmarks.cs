using BenchmarkDotNet.Attributes;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;
using OnnxType = BitOnnx.Onnx.TensorElementType;

namespace BitOnnx.Benchmarks.Runtime;

/// <summary>
/// What one Run costs when the model does almost nothing: ONNX Runtime's own per-call work through the official API, and
/// ModelSession's on top (token checks; one row of a P = 5 modular-addition model that computes one_hot((a + b) mod P)).
/// Target: at most 20 µs.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
public class RunOverheadBenchmarks
{
    private InferenceSession session = null!;
    private OrtValue input = null!;
    private OrtValue output = null!;
    private readonly RunOptions runOptions = new();
    private readonly string[] inputNames = ["x"];
    private readonly string[] outputNames = ["y"];
    private OrtValue[] inputValues = null!;
    private OrtValue[] outputValues = null!;
    private ModelSession modelSession = null!;
    private PinnedBatch batch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = new OnnxGraphBuilder("tiny");
        var x = g.Input("x", OnnxType.Float, [1, 4]);
        g.Output(g.Node("Add", [x, g.Scalar("one", 1f)], output: "y"), OnnxType.Float, [1, 4]);
        using var options = SessionDefaults.Create(new ModelSessionOptions { Threads = 1 });
        session = new InferenceSession(new OnnxModel(g.Build()).ToBytes(), options);
        input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4]);
        output = OrtValue.CreateTensorValueFromMemory(new float[4], [1, 4]);
        inputValues = [input];
        outputValues = [output];

        modelSession = ModelSession.FromModel(TinyModularAddition(5), "tiny", new ModelSessionOptions { Threads = 1 });
        batch = modelSession.CreateBatch(1);
        long[] tokens = [2, 4, 5];
        tokens.CopyTo(batch.Tokens);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        batch.Dispose();
        modelSession.Dispose();
        session.Dispose();
        input.Dispose();
        output.Dispose();
    }

    /// <summary>ONNX Runtime allocates the output on every call.</summary>
    [Benchmark(Baseline = true)]
    public float OrtRun()
    {
        using var outputs = session.Run(runOptions, inputNames, inputValues, outputNames);
        return outputs[0].GetTensorDataAsSpan<float>()[3];
    }

    /// <summary>Input and output OrtValues over pinned managed arrays, made once.</summary>
    [Benchmark]
    public float OrtRunIntoPreallocatedOutput()
    {
        session.Run(runOptions, inputNames, inputValues, outputNames, outputValues);
        return output.GetTensorDataAsSpan<float>()[3];
    }

    /// <summary>ModelSession's pre-allocated batch: token checks + the same kind of Run.</summary>
    [Benchmark]
    public float ModelSessionPinnedBatch()
    {
        batch.Run();
        return batch.Output("logits")[1];
    }

    /// <summary>ModelSession.Run of one row: OrtValues made per call over the caller's and the result's arrays.</summary>
    [Benchmark]
    public float ModelSessionRunOneRow() => modelSession.Run([2, 4, 5])["logits"].Data[1];

    /// <summary>logits = one_hot((a + b) mod p) from tokens [batch, 3].</summary>
    private static OnnxModel TinyModularAddition(int p)
    {
        var g = new OnnxGraphBuilder("tiny_modular_addition");
        var tokens = g.Input("tokens", OnnxType.Int64, ["batch", 3]);
        var a = g.Node("Gather", [tokens, g.Scalar("first", 0L)], new NodeAttributes { { "axis", 1L } });
        var b = g.Node("Gather", [tokens, g.Scalar("second", 1L)], new NodeAttributes { { "axis", 1L } });
        var sum = g.Node("Mod", [g.Node("Add", [a, b]), g.Scalar("p", (long)p)]);
        var eye = new float[p * p];
        for (int i = 0; i < p; i++) eye[i * p + i] = 1f;
        g.Output(g.Node("Gather", [g.Initializer("eye", eye, [p, p]), sum], output: "logits"), OnnxType.Float, ["batch", p]);
        return new OnnxModel(g.Build(new BitOnnx.Onnx.Contract.ExportMetadata(p).Entries()));
    }
}
