using BitOnnx.Core.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BitOnnx.ML.Tests;

/// <summary>
/// ML.NET's own transforms around ours: LoadFromEnumerable → Fit → Save → Load in a fresh MLContext → Transform →
/// MulticlassClassification.Evaluate, against metrics computed here from the logits column in double; prediction
/// engines, alone and on eight threads.
/// </summary>
[TestClass]
public sealed class PipelineTests
{
    [TestMethod]
    public void FitSaveLoadEvaluateMatchesOurMetricsFromTheLogits()
    {
        var trained = TrainedPipeline.Get();
        var ml = new MLContext(seed: 2);
        var model = ml.Model.Load(trained.ZipPath, out var inputSchema);
        Assert.AreEqual(typeof(int), inputSchema[ModularAdditionColumns.A].Type.RawType, "the saved input schema is the user's Int32");

        var scored = model.Transform(ml.Data.LoadFromEnumerable(trained.Test));
        // ML.NET's evaluator wants keys: the label by value over 0..P−1, and the predicted sum mapped the same way.
        var classes = ml.Data.LoadFromEnumerable(Enumerable.Range(0, TrainedPipeline.P).Select(k => new KeyRow { Value = k }));
        var keyed = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyData: classes)
            .Append(ml.Transforms.Conversion.MapValueToKey("PredictedKey", ModularAdditionColumns.PredictedSum, keyData: classes))
            .Fit(scored).Transform(scored);
        var metrics = ml.MulticlassClassification.Evaluate(keyed, "LabelKey", ModularAdditionColumns.Score, "PredictedKey");

        var logits = scored.GetColumn<float[]>(ModularAdditionColumns.Logits).ToArray();
        var labels = trained.Test.Select(r => r.Label).ToArray();
        double correct = 0, logLoss = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            if (EngineReference.ArgMax(logits[i]) == labels[i]) correct++;
            logLoss -= Math.Log(Math.Max(EngineReference.Softmax(logits[i])[labels[i]], 1e-15));
        }
        Assert.AreEqual(correct / labels.Length, metrics.MicroAccuracy, 1e-12, "accuracy");
        Assert.AreEqual(logLoss / labels.Length, metrics.LogLoss, 1e-4, "log-loss");
        Assert.IsTrue(metrics.MicroAccuracy >= 0.9, $"the model learnt (test accuracy {metrics.MicroAccuracy:P1})");
    }

    [TestMethod]
    public void LoadedModelAgreesWithTheEngineOnEveryPair()
    {
        var trained = TrainedPipeline.Get();
        var ml = new MLContext();
        var model = ml.Model.Load(trained.ZipPath, out _);
        var p = TrainedPipeline.P;
        var all = Enumerable.Range(0, p * p).Select(r => new ModularAdditionInput { A = r / p, B = r % p }).ToList();
        var scored = model.Transform(ml.Data.LoadFromEnumerable(all));
        var engine = EngineReference.Logits(trained.Checkpoint);
        var bound = 1e-4 * Math.Max(1, engine.Max(Math.Abs));
        var row = 0;
        foreach (var (logits, predicted) in scored.GetColumn<float[]>(ModularAdditionColumns.Logits)
                     .Zip(scored.GetColumn<int[]>(ModularAdditionColumns.PredictedSum)))
        {
            for (var k = 0; k < p; k++) Assert.AreEqual(engine[row * p + k], logits[k], bound, $"logit {k} of pair {row}");
            Assert.AreEqual(EngineReference.ArgMax(engine.AsSpan(row * p, p)), predicted.Single(), $"pair {row}");
            row++;
        }
        Assert.AreEqual(p * p, row);
    }

    [TestMethod]
    public void OutputSchemaIsDocumented()
    {
        var ml = new MLContext();
        var model = ml.Model.Load(TrainedPipeline.Get().ZipPath, out _);
        var schema = model.GetOutputSchema(ModularAdditionPredictor.EmptyInput(ml).Schema);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Int32, 1), schema[ModularAdditionColumns.PredictedSum].Type);
        Assert.AreEqual(NumberDataViewType.Int32, schema[ModularAdditionColumns.A].Type, "A is Int32 again after the chain");
        Assert.AreEqual(TrainedPipeline.P, ((VectorDataViewType)schema[ModularAdditionColumns.Score].Type).Size);
        Assert.AreEqual(TrainedPipeline.P, ((VectorDataViewType)schema[ModularAdditionColumns.Logits].Type).Size);
    }

    [TestMethod]
    public void PredictionEngineAnswersEveryTestPair()
    {
        var trained = TrainedPipeline.Get();
        var ml = new MLContext();
        var engine = ml.Model.CreatePredictionEngine<ModularAdditionInput, ModularAdditionPrediction>(ml.Model.Load(trained.ZipPath, out _));
        var reference = EngineReference.Logits(trained.Checkpoint);
        var p = TrainedPipeline.P;
        foreach (var row in trained.Test)
        {
            var prediction = engine.Predict(new ModularAdditionInput { A = row.A, B = row.B });
            Assert.AreEqual(EngineReference.ArgMax(reference.AsSpan((row.A * p + row.B) * p, p)), prediction.Sum, $"({row.A}, {row.B})");
            Assert.AreEqual(1.0, prediction.Score.Sum(s => (double)s), 1e-5);
        }
    }

    /// <summary>A shipped P = 113 model (100% on every pair): eight threads, each with its own engine from one loaded model.</summary>
    [TestMethod]
    public void EightThreadsEachWithItsOwnPredictionEngineAreAllCorrect()
    {
        var ml = new MLContext();
        var checkpoint = SmallModels.ShippedModel("li2024-ternary");
        var model = ModularAdditionPredictor.Fitted(ml, MlNetExport.PairGraph(checkpoint));
        var p = checkpoint.Config.P;
        var wrong = new int[8];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var engine = ml.Model.CreatePredictionEngine<ModularAdditionInput, ModularAdditionPrediction>(model);
            // Each thread walks every pair from its own starting point, so the threads score different rows at once.
            for (var i = 0; i < p * p; i += 3)
            {
                var r = (i + t * 1597) % (p * p);
                if (engine.Predict(new ModularAdditionInput { A = r / p, B = r % p }).Sum != (r / p + r % p) % p) wrong[t]++;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        CollectionAssert.AreEqual(new int[8], wrong, "wrong predictions per thread");
    }

    private sealed class KeyRow
    {
        public int Value { get; set; }
    }
}
