using BitOnnx.Core.Checkpoints;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipeline.ModularAddition;
using BitOnnx.Pipeline.Onnx;

namespace BitOnnx.Pipeline;

/// <summary>
/// The entry point (ML.NET's MLContext role): <see cref="ModularAddition"/> makes trainers, <see cref="Model"/> loads
/// saved models and applies ONNX models.
/// </summary>
public sealed class BitOnnxContext
{
    public ModularAdditionCatalog ModularAddition { get; } = new();
    public ModelOperationsCatalog Model { get; } = new();
}

public sealed class ModularAdditionCatalog
{
    public ModularAdditionEstimator Trainer(ModularAdditionTrainerOptions? options = null) => new(options ?? new ModularAdditionTrainerOptions());
}

/// <summary>Options for running a pre-trained ONNX model.</summary>
public sealed record OnnxModelOptions
{
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;
    /// <summary>When the requested GPU provider cannot be had, run on the CPU (the reason is kept on the transformer).</summary>
    public bool FallbackToCpu { get; init; } = true;
    public int DeviceId { get; init; }
    public int Threads { get; init; }
    /// <summary>Fail unless the model is for this modulus.</summary>
    public int? ExpectedP { get; init; }
}

public sealed class ModelOperationsCatalog
{
    /// <summary>Loads a checkpoint (.safetensors, scored by the engine) or an exported model (.onnx, by ONNX Runtime on the CPU).</summary>
    public ModularAdditionTransformer Load(string path, int threads = 1)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model '{path}' does not exist.", path);
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return ApplyOnnxModel(path);
        var checkpoint = ModelCheckpoint.Load(path);
        return new ModularAdditionTransformer(new EngineScorer(checkpoint.Config, checkpoint.Parameters, threads), checkpoint);
    }

    /// <summary>The pre-trained path (ML.NET's ApplyOnnxModel): an exported model on the chosen execution provider.</summary>
    public ModularAdditionTransformer ApplyOnnxModel(string path, OnnxModelOptions? options = null)
    {
        options ??= new OnnxModelOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        var settings = new ModelSessionOptions { Provider = options.Provider, Threads = options.Threads, DeviceId = options.DeviceId };
        ModelSession session;
        string? reason = null;
        try
        {
            session = ModelSession.Open(path, settings);
        }
        catch (ExecutionProviderUnavailableException e) when (options.FallbackToCpu)
        {
            reason = e.Message;
            settings = settings with { Provider = ExecutionProvider.Cpu };
            session = ModelSession.Open(path, settings);
        }
        if (options.ExpectedP is { } p && p != session.P)
        {
            session.Dispose();
            throw new OnnxModelMismatchException($"'{path}' is a model for P = {session.P}, not P = {p}.");
        }
        return new ModularAdditionTransformer(new OnnxScorer(session), null, settings.Provider.ToString(), reason);
    }
}
