using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Torch;
using BitOnnx.Torch.Interventions;
using BitOnnx.Torch.Model;

namespace BitOnnx.Equivalence.Tests;

/// <summary>The three backends that take interventions.</summary>
public enum Backend
{
    Engine,
    TorchSharp,
    OnnxRuntime,
}

/// <summary>
/// One checkpoint in every backend that takes interventions, each on its own path from the latent weights (the engine's
/// HookedModel and TorchSharp quantize them, the float export carries the quantized values), over all P² pairs and
/// their corruption a → a + 1, with resolving and running written as one call per backend so that tests can loop over
/// backends instead of repeating three APIs.
/// </summary>
public sealed class ThreeBackendModel : IDisposable
{
    private readonly HookedModel _engine;
    private readonly TorchTransformer _torch;
    private readonly ModelSession _onnx;
    private readonly Lazy<HookedRun> _engineClean;
    private readonly Lazy<HookedPass> _torchClean;

    public ThreeBackendModel(ModelCheckpoint.Loaded checkpoint)
    {
        Config = checkpoint.Config;
        var p = Config.P;
        var rows = ModularAdditionData.AllRows(p);
        Tokens = ModularAdditionData.Tokens(p, rows);
        Targets = ModularAdditionData.Targets(p, rows);
        CorruptTokens = Tokens.Select((t, i) => i % Config.NCtx == 0 ? (t + 1) % p : t).ToArray();
        _engine = new HookedModel(Config, checkpoint.Parameters);
        TorchRuntime.SetThreads(1);
        _torch = new TorchTransformer(Config);
        _torch.LoadFrom(checkpoint.Parameters);
        var export = TransformerExporter.Export(checkpoint, new ExportOptions
        {
            Weights = WeightFormat.Float,
            Probes = HookSelection.Every,
            Writable = HookSelection.Every,
        });
        _onnx = ModelSession.FromModel(export.Model, Config.Describe(), new ModelSessionOptions { Threads = 1 });
        _engineClean = new(() => _engine.Run(Tokens));
        _torchClean = new(() => _torch.RunWithHooks(Tokens));
    }

    public TransformerConfig Config { get; }

    /// <summary>[P², nCtx]: every pair (a, b, =).</summary>
    public int[] Tokens { get; }

    /// <summary>[P²]: (a + b) mod P.</summary>
    public int[] Targets { get; }

    /// <summary>[P², nCtx]: every pair with a + 1 in place of a, whose answer is one more.</summary>
    public int[] CorruptTokens { get; }

    public int Rows => Targets.Length;

    /// <summary>Every hook the model computes, in forward order.</summary>
    public IReadOnlyList<string> Hooks => HookNames.For(Config, 1).Select(h => h.Name).ToList();

    /// <summary>The hooks ONNX Runtime lets a run write.</summary>
    public IReadOnlyList<string> OnnxWritable => _onnx.WritableHooks;

    public HookedModel Engine => _engine;
    public TorchTransformer Torch => _torch;

    /// <summary>The engine's clean run of <see cref="Tokens"/>, made once.</summary>
    public HookedRun EngineClean => _engineClean.Value;

    /// <summary>
    /// <paramref name="hooks"/> of a run of <paramref name="tokens"/> with <paramref name="writes"/> (none: the clean run)
    /// on <paramref name="backend"/>, each [rows, row size] as the rest of the pass read it.
    /// </summary>
    public IReadOnlyDictionary<string, float[]> Run(Backend backend, int[] tokens, IReadOnlyList<HookWrite> writes, IReadOnlyCollection<string> hooks)
    {
        switch (backend)
        {
            case Backend.Engine:
                var run = _engine.Run(tokens, writes);
                return hooks.ToDictionary(h => h, h => run[h].Data);
            case Backend.TorchSharp:
                var pass = _torch.RunWithHooks(tokens, writes);
                return hooks.ToDictionary(h => h, h => pass.Activations[h].Data);
            default:
                var outputs = _onnx.Run(Long(tokens), writes, hooks);
                return hooks.ToDictionary(h => h, h => outputs[h].Data);
        }
    }

    /// <summary>
    /// The writes <paramref name="interventions"/> make on every pair, resolved by <paramref name="backend"/> itself:
    /// means and resamples from its own clean run (ONNX Runtime from its probes), resamples drawn with <paramref name="seed"/>.
    /// </summary>
    public IReadOnlyList<HookWrite> Resolve(Backend backend, IReadOnlyList<Intervention> interventions, long seed)
    {
        switch (backend)
        {
            case Backend.Engine:
                return _engine.Resolve(interventions, EngineClean, seed);
            case Backend.TorchSharp:
                return HookWrites.Resolve(Config, interventions, Rows, h => _torchClean.Value.Activations[h].Data, seed);
            default:
                return _onnx.Resolve(Long(Tokens), interventions, seed);
        }
    }

    public void Dispose()
    {
        _torch.Dispose();
        _onnx.Dispose();
    }

    private static long[] Long(int[] tokens) => Array.ConvertAll(tokens, t => (long)t);
}
