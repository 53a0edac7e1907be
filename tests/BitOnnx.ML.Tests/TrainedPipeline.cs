using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.TestSupport;
using Microsoft.ML;

namespace BitOnnx.ML.Tests;

/// <summary>
/// One model trained once per test run through the ML.NET trainer: P = 23, 60% of the pairs, a narrow li2024 model at
/// lr 3e-3 (as the engine's grokking test), long enough to reach high test accuracy. The zip it is saved to is what the
/// load tests read.
/// </summary>
public static class TrainedPipeline
{
    public const int P = 23;

    private static readonly Lazy<Trained> Model = new(Train);

    public sealed record Trained(string ZipPath, ModelCheckpoint.Loaded Checkpoint, List<PairRow> Train, List<PairRow> Test);

    public static Trained Get() => Model.Value;

    public static ModularAdditionTrainerOptions Options => new()
    {
        Preset = TransformerConfig.Li2024Name,
        P = P,
        DModel = 64,
        NHeads = 4,
        DMlp = 128,
        Epochs = 3000,
        LearningRate = 3e-3,
        LogEvery = 250,
        Threads = 2,
    };

    private static Trained Train()
    {
        var (train, test) = SmallModels.Split(P, 0.6, seed: 5);
        var ml = new MLContext(seed: 1);
        var trainer = ml.ModularAddition().Trainer(Options);
        var model = trainer.Fit(ml.Data.LoadFromEnumerable(train));
        var folder = TempDir.NewPath("bitonnx-ml-tests");
        Directory.CreateDirectory(folder);
        var zip = Path.Combine(folder, "model.zip");
        MlNetExport.Save(ml, model, zip);
        return new Trained(zip, trainer.LastCheckpoint!, train, test);
    }
}
