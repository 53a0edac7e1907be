using Mono.Cecil;

namespace BitOnnx.Torch.Tests;

/// <summary>
/// BitOnnx.Torch makes no TorchSharp Scalar that a collection could free during the native call reading it (the CI
/// failure this guards against: c10's Scalar::toDouble reading a freed Scalar in the ternary quantizer's clamp).
/// </summary>
[TestClass]
public sealed class UnownedScalarTests
{
    [TestMethod]
    public void BitOnnxTorchMakesNoUnownedScalar()
    {
        using var scan = new UnownedScalarScan();
        using var ours = AssemblyDefinition.ReadAssembly(typeof(ScalarArithmetic).Assembly.Location);
        var findings = scan.Findings(ours);
        Assert.AreEqual(0, findings.Count, "use ScalarArithmetic (or a Scalar disposed after the call) in:\n" + string.Join("\n", findings));
    }

    /// <summary>The scan itself: it finds the Scalars TorchSharp makes for a + b, 2 · x and AdamW, and none in add with a Scalar.</summary>
    [TestMethod]
    public void TheScanFindsTheScalarsTorchSharpMakes()
    {
        using var scan = new UnownedScalarScan();
        var tensor = scan.TorchSharpType("TorchSharp.torch/Tensor");
        MethodDefinition Tensor(string name, params string[] parameters) =>
            tensor.Methods.Single(m => m.Name == name && m.Parameters.Select(p => p.ParameterType.Name).SequenceEqual(parameters));

        Assert.IsNotNull(scan.PathToScalar(Tensor("op_Addition", "Tensor", "Tensor")), "a + b adds with alpha 1");
        Assert.IsNotNull(scan.PathToScalar(Tensor("op_Multiply", "Tensor", "Single")), "x · 2f");
        Assert.IsNull(scan.PathToScalar(Tensor("add", "Tensor", "Scalar")), "add with the caller's Scalar");
        Assert.IsNull(scan.PathToScalar(Tensor("mul", "Tensor")), "a · b");
        var optimizer = scan.TorchSharpType("TorchSharp.torch/optim/Optimizer");
        Assert.IsNotNull(scan.PathToScalar(optimizer.Methods.Single(m => m.Name == "step")), "an optimizer step, through its overrides");
    }
}
