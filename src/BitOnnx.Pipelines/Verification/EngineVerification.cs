using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;

namespace BitOnnx.Pipelines.Verification;

/// <summary>An exported model on ONNX Runtime against the engine that trained it: the engine's activations over all pairs are the reference.</summary>
public static class EngineVerification
{
    /// <summary>The engine's activations over all P² pairs, by hook name (the reference <see cref="Run"/> compares with).</summary>
    public static IReadOnlyDictionary<string, NamedTensor> Activations(ModelCheckpoint.Loaded checkpoint, int threads = 1)
    {
        var p = checkpoint.Config.P;
        return ActivationCache.Run(checkpoint.Config, checkpoint.Parameters, ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), threads).Tensors;
    }

    public static VerificationReport Run(ModelCheckpoint.Loaded checkpoint, ModelSession session, double tolerance, int threads = 1)
    {
        var p = checkpoint.Config.P;
        // Refused before the engine spends a forward pass on the wrong grid.
        if (session.P != p)
            throw new OnnxModelMismatchException($"The ONNX model is for P = {session.P} but the checkpoint is for P = {p}; give the checkpoint it was exported from.");
        return ExportVerification.Run(session, p, Activations(checkpoint, threads), tolerance);
    }
}
