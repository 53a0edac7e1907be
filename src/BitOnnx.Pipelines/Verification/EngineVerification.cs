using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.Pipelines.Models;

namespace BitOnnx.Pipelines.Verification;

/// <summary>An exported model on ONNX Runtime against the engine that trained it: the engine's activations over all pairs are the reference.</summary>
public static class EngineVerification
{
    /// <summary>The engine's activations over all P² pairs, by hook name (the reference both Run methods compare with).</summary>
    public static IReadOnlyDictionary<string, NamedTensor> Activations(ModelCheckpoint.Loaded checkpoint, int threads = 1)
    {
        var p = checkpoint.Config.P;
        return ActivationCache.Run(checkpoint.Config, checkpoint.Parameters, ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), threads).Tensors;
    }

    public static VerificationReport Run(ModelCheckpoint.Loaded checkpoint, ModelSession session, double tolerance, int threads = 1)
    {
        RequireSameP(checkpoint, session.P, session.Name);
        return ExportVerification.Run(session, checkpoint.Config.P, Activations(checkpoint, threads), tolerance);
    }

    /// <summary>Any exported file (ONNX of any signature, or an ML.NET zip) against the engine, on the outputs both have.</summary>
    public static VerificationReport Run(ModelCheckpoint.Loaded checkpoint, ExportedModel model, double tolerance, int threads = 1)
    {
        RequireSameP(checkpoint, model.P, model.Name);
        var p = checkpoint.Config.P;
        var reference = Activations(checkpoint, threads);
        var tokens = Array.ConvertAll(ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), t => (long)t);
        var outputs = model.Run(tokens, model.OutputNames.Where(reference.ContainsKey).ToList());
        return ExportVerification.Compare(p, reference, outputs, tolerance);
    }

    // Refused before the engine spends a forward pass on the wrong grid.
    private static void RequireSameP(ModelCheckpoint.Loaded checkpoint, int modelP, string name)
    {
        if (modelP != checkpoint.Config.P)
            throw new OnnxModelMismatchException($"Model '{name}' is for P = {modelP} but the checkpoint is for P = {checkpoint.Config.P}; give the checkpoint it was exported from.");
    }
}
