using System.Collections.Concurrent;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Equivalence.Tests;

/// <summary>Small models trained once per test run (briefly: enough to move the weights away from their init).</summary>
public static class TrainedModels
{
    private static readonly ConcurrentDictionary<(string, WeightQuantization, int), Lazy<string>> Checkpoints = new();

    public static TransformerConfig Config(string preset, WeightQuantization mode, int layers = 1) =>
        TransformerConfig.FromPreset(preset) with { P = 7, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, NLayers = layers, Quantization = mode };

    /// <summary>Path of model.safetensors of a small trained run.</summary>
    public static string Checkpoint(string preset, WeightQuantization mode, int layers = 1) =>
        Checkpoints.GetOrAdd((preset, mode, layers), key => new Lazy<string>(() =>
        {
            var run = new RunFolder(TempDir.NewPath("bitonnx-equivalence-tests"));
            new Trainer(Config(key.Item1, key.Item2, key.Item3), new TrainingOptions { Epochs = 40, Seed = 1, LogEvery = 40, Threads = 1 }, run, EngineBackend.Instance).Run();
            return run.ModelFile;
        })).Value;

    public static ModelCheckpoint.Loaded Load(string preset, WeightQuantization mode, int layers = 1) =>
        ModelCheckpoint.Load(Checkpoint(preset, mode, layers));
}
