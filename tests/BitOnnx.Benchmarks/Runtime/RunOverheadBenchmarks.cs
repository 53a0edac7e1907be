using BenchmarkDotNet.Attributes;
using BitOnnx.Onnx;
using BitOnnx.Runtime;
using OnnxType = BitOnnx.Onnx.TensorElementType;

namespace BitOnnx.Benchmarks.Runtime;

/// <summary>
/// What one Run costs when the model does almost nothing (y = x + 1 on 4 floats): ORT's own per-call work plus
/// this binding's checks, marshalling and output wrapping. Target: at most 20 µs.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
public class RunOverheadBenchmarks
{
    private InferenceSession session = null!;
    private OrtValue input = null!;
    private Dictionary<string, OrtValue> inputs = null!;
    private string[] inputNames = null!;
    private OrtValue[] inputValues = null!;
    private string[] outputNames = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = new OnnxGraphBuilder("tiny");
        var x = g.Input("x", OnnxType.Float, [1, 4]);
        g.Output(g.Node("Add", [x, g.Scalar("one", 1f)], output: "y"), OnnxType.Float, [1, 4]);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        session = new InferenceSession(new OnnxModel(g.Build()).ToBytes(), options);
        input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4]);
        inputs = new Dictionary<string, OrtValue> { ["x"] = input };
        inputNames = ["x"];
        inputValues = [input];
        outputNames = ["y"];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        session.Dispose();
        input.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float RunWithArrays()
    {
        using var outputs = session.Run(null, inputNames, inputValues, outputNames);
        return outputs[0].GetTensorDataAsSpan<float>()[3];
    }

    [Benchmark]
    public float RunWithDictionary()
    {
        using var outputs = session.Run(inputs);
        return outputs[0].GetTensorDataAsSpan<float>()[3];
    }

    [Benchmark]
    public float CreateInputAndRun()
    {
        using var value = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4]);
        using var outputs = session.Run(null, inputNames, [value], outputNames);
        return outputs[0].GetTensorDataAsSpan<float>()[3];
    }
}
