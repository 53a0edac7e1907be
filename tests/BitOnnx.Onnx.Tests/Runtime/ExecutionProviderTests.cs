using BitOnnx.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>The CPU provider runs; asking for CUDA where it cannot start ends in one line naming the switch or the library.</summary>
[TestClass]
public class ExecutionProviderTests
{
    [TestMethod]
    public void CpuProviderIsAvailableAndRunsTheModel()
    {
        CollectionAssert.Contains(OrtEnv.Instance().GetAvailableProviders(), "CPUExecutionProvider");
        using var session = ModelSession.FromModel(TestModels.ExactModularAddition(5), "exact", new ModelSessionOptions { Provider = ExecutionProvider.Cpu });
        Assert.AreEqual(1f, session.Run([2, 2, 5])["logits"].Data[4], "(2 + 2) mod 5 = 4");
        Console.WriteLine($"providers in this build: {string.Join(", ", OrtEnv.Instance().GetAvailableProviders())}");
    }

    [TestMethod]
    public void CudaOnTheCpuBuildNamesTheSwitchAndSaysCpuWorks()
    {
        if (CudaProvider.IsCudaBuild) Assert.Inconclusive("This is the CUDA build (-p:OnnxRuntimeFlavor=cuda); the CPU-build message does not apply.");
        var e = Assert.ThrowsException<ExecutionProviderUnavailableException>(() =>
            ModelSession.FromModel(TestModels.ExactModularAddition(5), "exact", new ModelSessionOptions { Provider = ExecutionProvider.Cuda }));
        StringAssert.Contains(e.Message, "-p:OnnxRuntimeFlavor=cuda");
        StringAssert.Contains(e.Message, "The CPU provider works");
        Assert.IsFalse(e.Message.Contains('\n'), "one line");
    }

    [TestMethod]
    public void CudaOnTheCudaBuildNamesEachMissingLibrary()
    {
        var present = new HashSet<string> { "libcuda.so.1", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcufft.so.12" };
        var missing = CudaProvider.Missing(CudaProvider.RequiredLibraries, present.Contains);

        CollectionAssert.AreEqual(new[] { "libcudart.so.13", "libcudnn.so.9" }, missing.ToArray());
        var message = CudaProvider.MissingLibrariesMessage(missing)!;
        StringAssert.Contains(message, "libcudart.so.13, libcudnn.so.9 are not found");
        StringAssert.Contains(message, "The CPU provider works");
        StringAssert.Contains(CudaProvider.MissingLibrariesMessage(["libcudnn.so.9"])!, "libcudnn.so.9 is not found");
        Assert.IsNull(CudaProvider.MissingLibrariesMessage([]), "nothing missing: no message, ONNX Runtime is asked");
    }

    /// <summary>The CUDA build on a machine without CUDA 13 (built with -p:OnnxRuntimeFlavor=cuda and run here): the real probe answers.</summary>
    [TestMethod]
    public void CudaOnTheCudaBuildWithoutCudaNamesTheFirstMissingLibrary()
    {
        if (!CudaProvider.IsCudaBuild) Assert.Inconclusive($"This is the CPU build; build with {CudaProvider.BuildSwitch} to run this test.");
        var missing = CudaProvider.Missing(CudaProvider.RequiredLibraries, name => System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out _));
        if (missing.Count == 0) Assert.Inconclusive("Every CUDA library loads here; this test covers their absence.");
        var e = Assert.ThrowsException<ExecutionProviderUnavailableException>(() =>
            ModelSession.FromModel(TestModels.ExactModularAddition(5), "exact", new ModelSessionOptions { Provider = ExecutionProvider.Cuda }));
        StringAssert.Contains(e.Message, missing[0]);
        StringAssert.Contains(e.Message, "The CPU provider works");
        using var cpu = ModelSession.FromModel(TestModels.ExactModularAddition(5), "exact");
        Assert.AreEqual(1f, cpu.Run([2, 2, 5])["logits"].Data[4], "the CPU provider of the CUDA build runs");
    }

    [TestMethod]
    public void TheLibrariesProbedAreTheOnesTheCudaProviderLinks()
    {
        foreach (var library in new[] { "libcudart.so.13", "libcublas.so.13", "libcudnn.so.9" })
            CollectionAssert.Contains(CudaProvider.RequiredLibraries.ToArray(), library);
    }

    [TestMethod]
    public void UnknownProviderNameListsTheValidOnes()
    {
        Assert.AreEqual(ExecutionProvider.Cuda, ModelSessionOptions.ParseProvider("CUDA"));
        StringAssert.Contains(Assert.ThrowsException<ModelSessionException>(() => ModelSessionOptions.ParseProvider("webgpu")).Message, "Valid providers: cpu, cuda");
    }
}
