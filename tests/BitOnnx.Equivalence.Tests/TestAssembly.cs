using BitOnnx.Onnx.Tests.Runtime;

namespace BitOnnx.Equivalence.Tests;

/// <summary>Runs once before any test: ONNX Runtime's environment is made with a log sink the tests can read (OrtLog).</summary>
[TestClass]
public static class TestAssembly
{
    [AssemblyInitialize]
    public static void Initialize(TestContext context) => OrtLog.Install();
}
