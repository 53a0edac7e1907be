using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>ONNX Runtime's float MatMul against a double-precision reference, at every optimization level.</summary>
[TestClass]
public class FloatMatMulTests
{
    private const int K = 64;
    private const int N = 48;

    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_BASIC)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_EXTENDED)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL)]
    public void MatMulAddMatchesDoubleReference(GraphOptimizationLevel level)
    {
        const int m = 7;
        var w = TestData.Floats(K * N, seed: 1);
        var b = TestData.Floats(N, seed: 2);
        var x = TestData.Floats(m * K, seed: 3);
        using var options = SessionRunner.Options(level);
        using var session = new InferenceSession(TestModels.MatMulAdd(w, b, K, N), options);

        var y = SessionRunner.RunFloat(session, x, m, K);

        SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, b, m, K, N), y, ScalarReference.AbsMatMul(x, w, m, K, N), relative: 1e-5);
    }

    [TestMethod]
    public void SymbolicBatchAcceptsAnyBatchSizeOnOneSession()
    {
        var w = TestData.Floats(K * N, seed: 4);
        var b = new float[N];
        using var options = SessionRunner.Options(GraphOptimizationLevel.ORT_ENABLE_ALL);
        using var session = new InferenceSession(TestModels.MatMulAdd(w, b, K, N), options);
        foreach (int batch in new[] { 1, 5, 33 })
        {
            var x = TestData.Floats(batch * K, seed: batch);
            using var input = OrtValue.CreateTensorValueFromMemory(x, [batch, K]);
            using var outputs = session.Run(new RunOptions(), ["x"], [input], ["y"]);

            CollectionAssert.AreEqual(new long[] { batch, N }, outputs[0].GetTensorTypeAndShape().Shape);
            SessionRunner.AssertClose(ScalarReference.MatMulAdd(x, w, b, batch, K, N), outputs[0].GetTensorDataAsSpan<float>().ToArray(),
                ScalarReference.AbsMatMul(x, w, batch, K, N), relative: 1e-5);
        }
    }
}
