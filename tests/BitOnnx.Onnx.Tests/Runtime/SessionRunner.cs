using BitOnnx.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>Runs a one-input test model on a float matrix through the official API and copies the named output out.</summary>
internal static class SessionRunner
{
    /// <summary>Our session defaults (SessionDefaults) at <paramref name="level"/>.</summary>
    public static SessionOptions Options(GraphOptimizationLevel level, int threads = 1) =>
        SessionDefaults.Create(new ModelSessionOptions { OptimizationLevel = level, Threads = threads });

    /// <summary>ONNX Runtime's own defaults at <paramref name="level"/>, without ours.</summary>
    public static SessionOptions PlainOptions(GraphOptimizationLevel level, int threads = 1) =>
        new() { GraphOptimizationLevel = level, IntraOpNumThreads = threads };

    public static float[] RunFloat(InferenceSession session, float[] x, long rows, long cols, string outputName = "y")
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [rows, cols]);
        using var outputs = session.Run(new RunOptions(), [session.InputNames[0]], [input], [outputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Asserts |actual − expected| ≤ relative·scale + absolute element by element, naming the first miss.</summary>
    public static void AssertClose(double[] expected, float[] actual, double[] scale, double relative, double absolute = 1e-6)
    {
        Assert.AreEqual(expected.Length, actual.Length, "output length");
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = relative * scale[i] + absolute;
            if (Math.Abs(actual[i] - expected[i]) > bound) Assert.Fail($"element {i}: expected {expected[i]:R} ± {bound:E2}, got {actual[i]:R}");
        }
    }
}
