using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
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

    /// <summary>
    /// The engine's activations over all P² pairs with the MLP replaced by <paramref name="transcoder"/>, as
    /// <see cref="Onnx.Surgery.TranscoderSurgery"/> replaces it: a clean pass gives the MLP's input at every position
    /// (in a one-layer model nothing the MLP writes reaches it), the transcoder (Core's reference encode and decode) maps
    /// it to the MLP's output, and a second pass runs with that output written at every position. The replaced MLP's own
    /// hooks (<c>mlp.hook_pre</c>, <c>hook_post</c>) keep their clean values, as the spliced graph's probes do.
    /// </summary>
    public static IReadOnlyDictionary<string, NamedTensor> SplicedActivations(ModelCheckpoint.Loaded checkpoint, Transcoder transcoder, int threads = 1)
    {
        var config = checkpoint.Config;
        var p = config.P;
        var c = transcoder.Config;
        if (config.NLayers != 1 || c.DIn != config.DModel || c.DOut != config.DModel)
            throw new OnnxModelMismatchException($"The spliced transcoder maps {c.DIn} to {c.DOut} values in a model of d_model {config.DModel} and {config.NLayers} layers; give the checkpoint of the one-layer model it was spliced into.");
        var engine = new HookedModel(config, checkpoint.Parameters, threads);
        var tokens = ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p));
        var clean = engine.Run(tokens);
        var mlpOut = transcoder.Decode(transcoder.Encode(clean[c.HookIn].Data));
        var writes = engine.Resolve([Intervention.Patch(c.HookOut, mlpOut)], clean);
        return engine.Run(tokens, writes).Activations.Tensors;
    }

    /// <summary>
    /// The engine's activations over all P² pairs with the MLP replaced by a splice from explanations, as
    /// <see cref="SimulatedTranscoderSurgery"/> replaces it: the latents of each pair computed from their formulas in
    /// managed code (<see cref="SimulatedSplice.Output"/>, double, never the graph), decoded, and written at every
    /// position of the pair's row into the engine's second pass; the MLP's own hooks keep their clean values.
    /// </summary>
    public static IReadOnlyDictionary<string, NamedTensor> SimulatedActivations(ModelCheckpoint.Loaded checkpoint, SimulatedSplice splice, string hookOut, int threads = 1)
    {
        var config = checkpoint.Config;
        var p = config.P;
        if (config.NLayers != 1 || splice.DOut != config.DModel || splice.P != p)
            throw new OnnxModelMismatchException($"The simulated transcoder writes {splice.DOut} values at P = {splice.P} into a model of d_model {config.DModel}, P = {p} and {config.NLayers} layers; give the checkpoint of the one-layer model it was spliced into.");
        var engine = new HookedModel(config, checkpoint.Parameters, threads);
        var tokens = ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p));
        var clean = engine.Run(tokens);
        var d = splice.DOut;
        var positions = clean[hookOut].Data.Length / (p * p * d);
        var mlpOut = new float[p * p * positions * d];
        Parallel.For(0, p * p, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, row =>
        {
            var output = splice.Output(row / p, row % p);
            for (var position = 0; position < positions; position++) output.CopyTo(mlpOut, (row * positions + position) * d);
        });
        var writes = engine.Resolve([Intervention.Patch(hookOut, mlpOut)], clean);
        return engine.Run(tokens, writes).Activations.Tensors;
    }

    /// <summary>
    /// A model spliced by <c>bitonnx transcoder splice</c> against the engine's splice of the same transcoder (read from
    /// the spliced graph) into <paramref name="checkpoint"/>, on every output both have, over all P² pairs. A splice
    /// from explanations is held to <see cref="SimulatedActivations"/>: its formulas and decoder read from the graph,
    /// computed in managed code.
    /// </summary>
    public static VerificationReport RunSpliced(ModelCheckpoint.Loaded checkpoint, string modelPath, ExportedModel model, double tolerance, int threads = 1)
    {
        RequireSameP(checkpoint, model.P, model.Name);
        var onnx = OnnxModel.Load(modelPath);
        var spliced = SplicedTranscoder.Of(onnx) ?? throw new OnnxModelMismatchException($"Model '{model.Name}' has no transcoder spliced in; verify it without a splice.");
        var p = checkpoint.Config.P;
        var reference = spliced.FromExplanations
            ? SimulatedActivations(checkpoint, SimulatedSplice.Read(onnx, model.Name), spliced.HookOut, threads)
            : SplicedActivations(checkpoint, SplicedTranscoder.ReadTranscoder(onnx, model.Name,
                new TranscoderSource(model.Name, model.P, model.Metadata?.WeightsSha256 ?? "")), threads);
        var tokens = Array.ConvertAll(ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), t => (long)t);
        return ExportVerification.Compare(p, reference, model.Run(tokens, model.OutputNames.Where(reference.ContainsKey).ToList()), tolerance);
    }

    // Refused before the engine spends a forward pass on the wrong grid.
    private static void RequireSameP(ModelCheckpoint.Loaded checkpoint, int modelP, string name)
    {
        if (modelP != checkpoint.Config.P)
            throw new OnnxModelMismatchException($"Model '{name}' is for P = {modelP} but the checkpoint is for P = {checkpoint.Config.P}; give the checkpoint it was exported from.");
    }
}
