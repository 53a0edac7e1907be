using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Runtime.Tests;

/// <summary>
/// Only the CPU provider works on this machine: CUDA's provider libraries (Microsoft.ML.OnnxRuntime.Gpu.Linux) cannot be
/// obtained, and WebGPU finds no adapter. Asking for them must say exactly that.
/// </summary>
[TestClass]
public class ExecutionProviderTests
{
    [TestMethod]
    public void CpuProvider_Appended_RunsTheModel()
    {
        using var options = new SessionOptions();
        options.AppendExecutionProvider_CPU();
        using var session = new InferenceSession(TestModels.AddConstant(3, 2f), options);

        var y = SessionRunner.RunFloat(session, [1, 2, 3], 1, 3);

        CollectionAssert.AreEqual(new float[] { 3, 4, 5 }, y);
        CollectionAssert.AreEqual(new[] { "CPU" }, options.AppendedProviders.ToArray());
    }

    [TestMethod]
    public void CudaProvider_WithoutItsLibraries_NamesWhatIsMissing()
    {
        if (OnnxRuntimeInfo.IsProviderLibraryPresent("libonnxruntime_providers_cuda.so"))
        {
            Assert.Inconclusive("CUDA provider libraries are installed here; this test covers their absence.");
        }

        using var options = new SessionOptions();
        var e = Assert.ThrowsException<OnnxRuntimeException>(() => options.AppendExecutionProvider_CUDA(0));

        StringAssert.Contains(e.Message, "libonnxruntime_providers_cuda.so");
        StringAssert.Contains(e.Message, "libonnxruntime_providers_shared.so");
        StringAssert.Contains(e.Message, "Microsoft.ML.OnnxRuntime.Gpu.Linux");
        StringAssert.Contains(e.Message, "The CPU execution provider works");
        Assert.IsInstanceOfType<OnnxRuntimeException>(e.InnerException, "ORT's own error is kept as the inner exception");
        AssertCpuStillWorks();
    }

    [TestMethod]
    public void WebGpuProvider_WithoutAnAdapter_SaysSoAndPointsToCpu()
    {
        using var options = new SessionOptions();
        try
        {
            options.AppendExecutionProvider_WebGPU();
            using var session = new InferenceSession(TestModels.AddConstant(3, 2f), options);
            CollectionAssert.AreEqual(new float[] { 3, 4, 5 }, SessionRunner.RunFloat(session, [1, 2, 3], 1, 3), "WebGPU present: it must compute");
        }
        catch (OnnxRuntimeException e)
        {
            StringAssert.Contains(e.Message, "The WebGPU execution provider is not available");
            StringAssert.Contains(e.Message, "The CPU execution provider works");
            StringAssert.Contains(e.Message, "adapter");
        }

        AssertCpuStillWorks();
    }

    private static void AssertCpuStillWorks()
    {
        using var session = new InferenceSession(TestModels.AddConstant(2, -1f));
        CollectionAssert.AreEqual(new float[] { 0, 1 }, SessionRunner.RunFloat(session, [1, 2], 1, 2));
    }
}
