using System.Collections.Concurrent;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;

namespace BitOnnx.Analysis.Tests.Onnx;

/// <summary>Small models trained once per test run by the engine (BitOnnx.Core) and exported to ONNX, as a user would.</summary>
internal static class TinyExports
{
    public const int P = 11;

    private static readonly ConcurrentDictionary<(string, WeightQuantization, QuantScope), Lazy<ModelCheckpoint.Loaded>> Trained = new();

    public static TransformerConfig Config(string preset, WeightQuantization mode, QuantScope scope = QuantScope.Linears) =>
        TransformerConfig.FromPreset(preset) with { P = P, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, Quantization = mode, QuantScope = scope };

    /// <summary>A briefly trained checkpoint (weights moved away from their init by 30 full-batch steps).</summary>
    public static ModelCheckpoint.Loaded Checkpoint(string preset, WeightQuantization mode, QuantScope scope = QuantScope.Linears) =>
        Trained.GetOrAdd((preset, mode, scope), key => new Lazy<ModelCheckpoint.Loaded>(() =>
        {
            var folder = TempDir.NewPath("bitonnx-analysis-onnx");
            var run = new RunFolder(folder);
            new Trainer(Config(key.Item1, key.Item2, key.Item3), new TrainingOptions { Epochs = 30, Seed = 5, LogEvery = 30, Threads = 1 }, run, EngineBackend.Instance).Run();
            var loaded = ModelCheckpoint.Load(run.ModelFile);
            Directory.Delete(folder, recursive: true);
            return loaded;
        })).Value;

    public static OnnxModel Export(ModelCheckpoint.Loaded checkpoint, WeightFormat weights = WeightFormat.Float, HookSelection? probes = null,
        bool embeddedInput = false, bool doublePrecision = false) =>
        TransformerExporter.Export(checkpoint, new ExportOptions
        {
            Weights = weights,
            Probes = probes ?? HookSelection.Every,
            EmbeddedInput = embeddedInput,
            DoublePrecision = doublePrecision,
        }).Model;

    /// <summary>Tokens of all P² rows in the engine's own order (ModularAdditionData).</summary>
    public static int[] EngineTokens(int p) => Core.Data.ModularAdditionData.Tokens(p, Core.Data.ModularAdditionData.AllRows(p));
}
