using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Core.Tests;

/// <summary>What RunFolder writes, it reads back: one format, one class.</summary>
[TestClass]
public sealed class RunFolderRoundTripTests
{
    [TestMethod]
    public void SettingsSplitAndCurvesReadBackAsWritten()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bitonnx-run-{Guid.NewGuid():N}");
        try
        {
            var run = new RunFolder(path);
            run.EnsureWritable();
            var config = TransformerConfig.Li2024 with { P = 7, Quantization = WeightQuantization.Ternary };
            var options = new TrainingOptions { Seed = 3, TrainFraction = 0.4 };
            var data = ModularAdditionData.Split(config.P, options.TrainFraction, options.Seed);
            run.WriteSettings(config, options);
            run.WriteSplit(data);
            run.WriteMetrics([new MetricsRow(1, 4.5, 4.75, 0.125), new MetricsRow(100, 0.5, 1.25, 0.625)]);

            var settings = run.ReadSettings();
            Assert.AreEqual((7, "li2024", "ternary", 3L, 0.4), (settings.P, settings.Preset, settings.Quant, settings.Seed, settings.TrainFraction));
            Assert.AreEqual((config.DModel, config.NHeads, config.DMlp), (settings.DModel, settings.NHeads, settings.DMlp));
            CollectionAssert.AreEqual(data.TrainRows.ToArray(), run.ReadSplit(config.P)!.Train);
            var curves = run.ReadCurves()!;
            CollectionAssert.AreEqual(new[] { 1, 100 }, curves.Epochs);
            CollectionAssert.AreEqual(new[] { 4.75, 1.25 }, curves.TestLoss);
            Assert.AreEqual(run.ReadMetrics().Count, curves.Epochs.Length);
        }
        finally
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }
}
