using System.Collections.Concurrent;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// The models the three-backend intervention tests share, trained once per test run: at P = 31 with the preset's own
/// widths, a few epochs, so that the weights (and the quantized codes) have moved off their init and the activations
/// have a trained model's spread rather than an init's.
/// </summary>
public static class InterventionModels
{
    public const int P = 31;

    private static readonly ConcurrentDictionary<(string, WeightQuantization, int), Lazy<ModelCheckpoint.Loaded>> Loaded = new();

    public static TransformerConfig Config(string preset, WeightQuantization mode, int layers) =>
        TransformerConfig.FromPreset(preset) with { P = P, NLayers = layers, Quantization = mode };

    public static ModelCheckpoint.Loaded Load(string preset, WeightQuantization mode, int layers) =>
        Loaded.GetOrAdd((preset, mode, layers), key => new Lazy<ModelCheckpoint.Loaded>(() =>
        {
            var run = new RunFolder(TempDir.NewPath("bitonnx-equivalence-tests"));
            var options = new TrainingOptions { Epochs = 20, Seed = 6, LogEvery = 20, Threads = 1 };
            new Trainer(Config(key.Item1, key.Item2, key.Item3), options, run, EngineBackend.Instance).Run();
            return ModelCheckpoint.Load(run.ModelFile);
        })).Value;
}
