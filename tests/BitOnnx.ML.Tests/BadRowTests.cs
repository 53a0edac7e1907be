using BitOnnx.Core;
using BitOnnx.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BitOnnx.ML.Tests;

/// <summary>
/// Rows the model cannot answer fail loudly, naming the column: out-of-range addends inside the ONNX graph (its guard),
/// missing columns and wrong types at the schema (ML.NET's ConvertType after Load; our estimators before Fit).
/// </summary>
[TestClass]
public sealed class BadRowTests
{
    private static ITransformer Loaded(MLContext ml) => ml.Model.Load(TrainedPipeline.Get().ZipPath, out _);

    [TestMethod]
    [DataRow(TrainedPipeline.P, 0, "A", DisplayName = "A = P")]
    [DataRow(-1, 0, "A", DisplayName = "A = -1")]
    [DataRow(0, 1000, "B", DisplayName = "B = 1000")]
    [DataRow(5, int.MinValue, "B", DisplayName = "B = int.MinValue")]
    public void AnAddendOutsideTheRangeFailsNamingTheColumnAndTheValue(int a, int b, string column)
    {
        var ml = new MLContext();
        var rows = new[] { new ModularAdditionInput { A = 1, B = 2 }, new ModularAdditionInput { A = a, B = b } };
        var scored = Loaded(ml).Transform(ml.Data.LoadFromEnumerable(rows));
        var e = Assert.ThrowsException<InvalidOperationException>(() => scored.GetColumn<int[]>(ModularAdditionColumns.PredictedSum).ToArray());
        var message = Messages(e);
        StringAssert.Contains(message, $"column {column} must hold values in 0..{TrainedPipeline.P - 1}");
        var value = column == "A" ? a : b;
        StringAssert.Contains(message, $"idx={value}", "the offending value");
        StringAssert.Contains(message, value < 0 ? "one is negative" : $"one is {TrainedPipeline.P} or more", "the fault");
        if (value >= 0) StringAssert.Contains(message, $"[-{TrainedPipeline.P},{TrainedPipeline.P - 1}]", "the range ONNX Runtime states holds 0..P-1");
    }

    [TestMethod]
    public void PredictionEngineRefusesAnOutOfRangeAddend()
    {
        var ml = new MLContext();
        var engine = ml.Model.CreatePredictionEngine<ModularAdditionInput, ModularAdditionPrediction>(Loaded(ml));
        Assert.AreEqual(3, engine.Predict(new ModularAdditionInput { A = 1, B = 2 }).Sum);
        // A prediction engine passes ONNX Runtime's exception on as it is; Transform's cursor wraps it.
        var e = Assert.ThrowsException<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => engine.Predict(new ModularAdditionInput { A = 7, B = TrainedPipeline.P }));
        StringAssert.Contains(Messages(e), "column B must hold values");
    }

    [TestMethod]
    public void AMissingColumnIsNamed()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new OnlyA { A = 1 } });
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => Loaded(ml).Transform(data));
        StringAssert.Contains(e.Message, "'B'");
        var ours = Assert.ThrowsException<BitOnnxException>(() => ml.ModularAddition().Trainer(TrainedPipeline.Options).Fit(data));
        StringAssert.Contains(ours.Message, "no column 'B'");
    }

    [TestMethod]
    public void OurEstimatorsNameTheExpectedType()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new FloatRow { A = 1.5f, B = 2, Label = 3 } });
        var e = Assert.ThrowsException<BitOnnxException>(() => ml.ModularAddition().Trainer(TrainedPipeline.Options).Fit(data));
        StringAssert.Contains(e.Message, "Column 'A' is Single");
        StringAssert.Contains(e.Message, "scalar Int32");
        // In a chain, ML.NET asks every estimator for its output schema before fitting any: the check comes first.
        var inChain = ml.Transforms.CopyColumns("Copy", "B").Append(ml.ModularAddition().Trainer(TrainedPipeline.Options with { Epochs = 1 }));
        var schema = Assert.ThrowsException<BitOnnxException>(() => inChain.Fit(data));
        StringAssert.Contains(schema.Message, "Column 'A'");
    }

    /// <summary>
    /// A loaded zip with a floating-point A: the chain's first step (ML.NET's ConvertType to Int64) refuses it at
    /// Transform, naming the column and its type. Whole-number types (Int64, UInt16, ...) convert exactly and then meet
    /// the graph's range guard.
    /// </summary>
    [TestMethod]
    public void ALoadedModelRefusesAFloatingPointAddendNamingColumnAndType()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new FloatRow { A = 2.7f, B = 3, Label = 0 } });
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => Loaded(ml).Transform(data));
        StringAssert.Contains(e.Message, "source column 'A' with item type 'Single' is not compatible");
        var wide = ml.Data.LoadFromEnumerable(new[] { new LongRow { A = 4, B = 5 } });
        Assert.AreEqual(9, Loaded(ml).Transform(wide).GetColumn<int[]>(ModularAdditionColumns.PredictedSum).Single().Single(), "Int64 addends are exact");
    }

    [TestMethod]
    public void TrainingRowsAreCheckedRowByRow()
    {
        var ml = new MLContext();
        void Fails(string expected, params PairRow[] rows)
        {
            var e = Assert.ThrowsException<BitOnnxException>(() => ml.ModularAddition().Trainer(TrainedPipeline.Options with { Epochs = 1 }).Fit(ml.Data.LoadFromEnumerable(rows)));
            StringAssert.Contains(e.Message, expected);
        }
        Fails("Row 1: A = 23 is outside 0..22", new PairRow { A = 0, B = 0, Label = 0 }, new PairRow { A = 23, B = 0, Label = 0 });
        Fails("Row 0: Label = 4, but (1 + 2) mod 23 = 3", new PairRow { A = 1, B = 2, Label = 4 });
        Fails("Row 1 repeats the pair (1, 2) of row 0", new PairRow { A = 1, B = 2, Label = 3 }, new PairRow { A = 1, B = 2, Label = 3 });
        Fails("no rows");
    }

    [TestMethod]
    public void AnOnnxModelWithoutThePairSignatureIsRefused()
    {
        var ml = new MLContext();
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Width32(Core.Model.TransformerConfig.Li2024Name, Core.Model.WeightQuantization.None), seed: 3);
        var tokensGraph = Onnx.Export.TransformerExporter.Export(checkpoint, new Onnx.Export.ExportOptions()).Model.ToBytes();
        var e = Assert.ThrowsException<BitOnnxException>(() => ml.ModularAddition().Predictor(tokensGraph));
        StringAssert.Contains(e.Message, "not A and B");
    }

    private static string Messages(Exception e)
    {
        var all = new List<string>();
        for (var x = e; x is not null; x = x.InnerException) all.Add(x.Message);
        Console.WriteLine(string.Join("\n--\n", all));
        return string.Join(" | ", all);
    }

    private sealed class OnlyA
    {
        public int A { get; set; }
    }

    private sealed class LongRow
    {
        public long A { get; set; }
        public long B { get; set; }
    }

    private sealed class FloatRow
    {
        public float A { get; set; }
        public int B { get; set; }
        public int Label { get; set; }
    }
}
