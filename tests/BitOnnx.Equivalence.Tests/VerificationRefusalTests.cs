using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;

namespace BitOnnx.Equivalence.Tests;

/// <summary>Verification refuses a model that cannot be the checkpoint's, with a user-facing message.</summary>
[TestClass]
public sealed class VerificationRefusalTests
{
    [TestMethod]
    public void ASessionForAnotherPIsAMismatchNamingBoth()
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Li2024Name, WeightQuantization.Binary);
        using var session = ModelSession.FromModel(TransformerExporter.Export(checkpoint, new ExportOptions()).Model, "export");
        var reference = EngineVerification.Activations(checkpoint);
        BitOnnxException e = Assert.ThrowsException<OnnxModelMismatchException>(() => ExportVerification.Run(session, 11, reference, ExportVerification.DefaultTolerance));
        StringAssert.Contains(e.Message, "P = 7 but the checkpoint is for P = 11");
    }

    [TestMethod]
    public void AReferenceWithoutLogitsOverAllPairsIsRefused()
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Li2024Name, WeightQuantization.Binary);
        using var session = ModelSession.FromModel(TransformerExporter.Export(checkpoint, new ExportOptions()).Model, "export");
        var partial = EngineVerification.Activations(checkpoint).Where(kv => kv.Key != HookNames.Logits).ToDictionary();
        var e = Assert.ThrowsException<ArgumentException>(() => ExportVerification.Run(session, checkpoint.Config.P, partial, ExportVerification.DefaultTolerance));
        StringAssert.Contains(e.Message, HookNames.Logits);
    }
}
