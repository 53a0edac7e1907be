using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Engine.Model;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;

namespace BitOnnx.Equivalence.Tests;

/// <summary>The engine's activations over all P² pairs as the reference an ONNX Runtime session is verified against.</summary>
public static class EngineReference
{
    public static IReadOnlyDictionary<string, Core.Model.NamedTensor> Activations(ModelCheckpoint.Loaded checkpoint, int threads = 1)
    {
        var p = checkpoint.Config.P;
        return ActivationCache.Run(checkpoint.Config, checkpoint.Parameters, ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), threads).Tensors;
    }

    public static VerificationReport Verify(ModelCheckpoint.Loaded checkpoint, ModelSession session, double tolerance, int threads = 1) =>
        ExportVerification.Run(session, checkpoint.Config.P, Activations(checkpoint, threads), tolerance);
}
