using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Pipelines.Demo;

/// <summary>One model of the demo: what to train and how long.</summary>
public sealed record DemoModel(string Name, TransformerConfig Config, TrainingOptions Options);

/// <summary>
/// The main job's three models: li2024 binary and ternary (10,000 epochs, as Li 2024) and nanda2023 full precision.
/// Full precision groks later, so it gets more epochs; the count fits the demo in its time budget on 2 cores.
/// <c>quick</c> swaps in CI-sized models (P = 31) that grok in about a minute in all.
/// </summary>
public static class DemoPlan
{
    public const int LiEpochs = 10_000;
    public const int NandaEpochs = 12_000;

    public static IReadOnlyList<DemoModel> Create(long seed, int threads, bool quick)
    {
        var li = TransformerConfig.Li2024;
        var nanda = TransformerConfig.Nanda2023;
        if (quick)
        {
            li = li with { P = 31, DModel = 64, NHeads = 4, DHead = 16, DMlp = 128 };
            nanda = nanda with { P = 31, DModel = 64, NHeads = 4, DHead = 16, DMlp = 128 };
        }
        TrainingOptions Options(int epochs, int checkpointEvery, int warmup) => new()
        {
            Epochs = quick ? 2_000 : epochs,
            Seed = seed,
            Threads = threads,
            TrainFraction = quick ? 0.6 : 0.3,
            LogEvery = quick ? 50 : 100,
            CheckpointEvery = quick ? 250 : checkpointEvery,
            Optimizer = new AdamWSettings { LearningRate = quick ? 3e-3 : 1e-3, WarmupSteps = warmup },
        };
        return
        [
            new("li2024-binary", li with { Quantization = WeightQuantization.Binary }, Options(LiEpochs, 500, 0)),
            new("li2024-ternary", li with { Quantization = WeightQuantization.Ternary }, Options(LiEpochs, 500, 0)),
            new("nanda2023-fp", nanda, Options(NandaEpochs, 1_000, 10)),
        ];
    }
}
