using BitOnnx.Torch;
using TorchSharp;

namespace BitOnnx.Torch.Tests;

/// <summary>TorchSharp's native libraries load and compute on this machine (with the build's libstdc++ fix-up where needed).</summary>
[TestClass]
public sealed class TorchSharpLoadsTests
{
    [TestMethod]
    public void MatrixProductAndItsGradientMatchAHandComputation()
    {
        TorchRuntime.EnsureAvailable();
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]).requires_grad_();
        var b = torch.tensor(new float[] { 5, 6, 7, 8 }, [2, 2]).requires_grad_();
        var product = torch.matmul(a, b);
        // [[1·5 + 2·7, 1·6 + 2·8], [3·5 + 4·7, 3·6 + 4·8]]
        CollectionAssert.AreEqual(new float[] { 19, 22, 43, 50 }, product.data<float>().ToArray());

        // L = Σ (A·B)_ij: ∂L/∂A = 1·Bᵀ (each row: the row sums of B), ∂L/∂B = Aᵀ·1 (each column: the column sums of A).
        product.sum().backward();
        CollectionAssert.AreEqual(new float[] { 11, 15, 11, 15 }, a.grad!.data<float>().ToArray());
        CollectionAssert.AreEqual(new float[] { 4, 4, 6, 6 }, b.grad!.data<float>().ToArray());
    }

    [TestMethod]
    public void ExplainsAMissingNativeLibraryInOneSentenceNamingIt()
    {
        var empty = Directory.CreateTempSubdirectory("bitonnx-torch-").FullName;
        try
        {
            var message = TorchRuntime.Explain(empty);
            StringAssert.Contains(message, "libLibTorchSharp.so is missing");
            StringAssert.Contains(message, "--backend engine");
            Assert.IsFalse(message.Contains('\n'), message);

            File.WriteAllBytes(Path.Combine(empty, "libLibTorchSharp.so"), [0x7f, (byte)'E', (byte)'L', (byte)'F']);
            StringAssert.Contains(TorchRuntime.Explain(empty), "libtorch_cpu.so");
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }
}
