using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Engine.Model;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;

namespace BitOnnx.Cli;

/// <summary>An exported model on ONNX Runtime against the engine that trained it: the engine's activations over all pairs are the reference.</summary>
public static class EngineVerification
{
    public static VerificationReport Run(ModelCheckpoint.Loaded checkpoint, ModelSession session, double tolerance, int threads = 1)
    {
        var p = checkpoint.Config.P;
        // Refused before the engine spends a forward pass on the wrong grid.
        if (session.P != p)
            throw new OnnxModelMismatchException($"The ONNX model is for P = {session.P} but the checkpoint is for P = {p}; give the checkpoint it was exported from.");
        var reference = ActivationCache.Run(checkpoint.Config, checkpoint.Parameters, ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), threads);
        return ExportVerification.Run(session, p, reference.Tensors, tolerance);
    }
}
