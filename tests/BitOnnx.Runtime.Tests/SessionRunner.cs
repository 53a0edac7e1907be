namespace BitOnnx.Runtime.Tests;

/// <summary>Runs a one-input model on a float matrix and copies the first output out.</summary>
internal static class SessionRunner
{
    public static SessionOptions Options(GraphOptimizationLevel level, int threads = 1) =>
        new() { GraphOptimizationLevel = level, IntraOpNumThreads = threads };

    public static float[] RunFloat(InferenceSession session, float[] x, long rows, long cols, string outputName = "y")
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [rows, cols]);
        using var outputs = session.Run(null, new Dictionary<string, OrtValue> { [session.InputNames[0]] = input }, [outputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Asserts |actual − expected| ≤ relative·scale + absolute element by element, naming the first miss.</summary>
    public static void AssertClose(double[] expected, float[] actual, double[] scale, double relative, double absolute = 1e-6)
    {
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(expected.Length, actual.Length, "output length");
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = relative * scale[i] + absolute;
            if (Math.Abs(actual[i] - expected[i]) > bound)
            {
                Microsoft.VisualStudio.TestTools.UnitTesting.Assert.Fail(
                    $"element {i}: expected {expected[i]:R} ± {bound:E2}, got {actual[i]:R}");
            }
        }
    }
}
