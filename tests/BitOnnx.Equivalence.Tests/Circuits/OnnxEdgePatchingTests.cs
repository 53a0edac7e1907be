using BitOnnx.Core.Circuits;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Circuits;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Circuits;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.Pipelines.Models;
using BitOnnx.TestSupport;

namespace BitOnnx.Equivalence.Tests.Circuits;

/// <summary>
/// Edge patching on ONNX Runtime (the export rewritten by <c>EdgePatchingSurgery</c>) against the engine's
/// <see cref="EdgePatching"/> on the same file's folded weights: the logits for seeded random masks (0s and 1s, and
/// values between and beyond), every mask clean against the export's own run on ONNX Runtime, every mask corrupted
/// against its run on the resampled pairs, on small models of both presets (two layers, where block 1 reads block 0's
/// senders through the causal mask; MLP groups; mean ablation; float and 2-bit files) and on shipped models over all
/// P² pairs; and ACDC's circuit found through each.
/// </summary>
[TestClass]
public sealed class OnnxEdgePatchingTests
{
    /// <summary>
    /// Per unit of max(1, the engine's largest |logit|), as <see cref="OutputDifference"/> bounds every engine-vs-ONNX
    /// Runtime comparison (<see cref="ExportVerification.DefaultTolerance"/>): both passes are float32 with the same
    /// terms, summed in different orders (MLAS's and the engine's GEMM, two softmaxes), so they differ by a few ulps of
    /// the largest activations (measured below: at most a few 1e-7 of the scale). A wrong edge (a sender's term left
    /// out, mixed with another edge's mask, read at the wrong position) moves the logits by the order of that sender's
    /// contribution, thousands of times more.
    /// </summary>
    private const double Tolerance = ExportVerification.DefaultTolerance;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1, 1, Corruption.Resample, WeightFormat.Float)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 2, 3, Corruption.Mean, WeightFormat.Int2)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2, 1, Corruption.Resample, WeightFormat.Float)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 1, 2, Corruption.Mean, WeightFormat.Int8)]
    public void RandomMasksGiveTheEnginesLogits(string preset, WeightQuantization mode, int layers, int groups, Corruption corruption, WeightFormat format)
    {
        var config = SmallConfigs.Interventions(preset, 7, mode) with { NLayers = layers };
        var onnx = Export(TestCheckpoints.Untrained(config, 5), format);
        var tokens = AllPairs(config.P);
        var engine = new EdgePatching(ExportedEngine.Load(onnx, ExportMetadata.Read(onnx, "small"), "small", "test", threads: 1), tokens, corruption, seed: 3, groups);
        using var ort = new OnnxEdgePatching(onnx, "small", tokens, corruption, seed: 3, groups, new ModelSessionOptions { Threads = 1 });
        CollectionAssert.AreEqual(engine.Graph.Edges.Select(e => e.Name).ToList(), ort.Graph.Edges.Select(e => e.Name).ToList(), "one graph");
        var random = new Random(17);
        var run = engine.NewRun();
        var worst = 0.0;
        for (var trial = 0; trial < 12; trial++)
        {
            // Halves of 0s and 1s, then fractions between and beyond (what EAP-IG's points are).
            var mask = Enumerable.Range(0, engine.Graph.Edges.Count)
                .Select(_ => trial < 8 ? random.Next(2) : (float)(random.NextDouble() * 2 - 0.5)).ToArray();
            for (var e = 0; e < mask.Length; e++) run[e] = mask[e];
            worst = Math.Max(worst, AssertClose(run.Logits(), ort.Logits(mask), $"{config.Describe()}, {groups} MLP groups, {corruption}, mask {trial}"));
        }
        TestContext.WriteLine($"{config.Describe()} ({format}, {groups} groups, {corruption}): largest difference {worst:G3} of the scale");
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 2, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2, 2)]
    public void EveryMaskCleanIsTheExportsRunAndEveryMaskCorruptedItsRunOnTheResampledPairs(string preset, WeightQuantization mode, int layers, int groups)
    {
        var config = SmallConfigs.Interventions(preset, 7, mode) with { NLayers = layers };
        var onnx = Export(TestCheckpoints.Untrained(config, 8), WeightFormat.Float);
        using var ort = new OnnxEdgePatching(onnx, "small", AllPairs(config.P), Corruption.Resample, seed: 9, groups, new ModelSessionOptions { Threads = 1 });
        AssertAgainstExport(onnx, ort);
    }

    /// <summary>The shipped files over all 12,769 pairs: li2024 (final norm, no positional embedding) and nanda2023 (positional embeddings, no norm).</summary>
    [TestMethod]
    [DataRow("li2024-ternary")]
    [DataRow("nanda2023-fp")]
    public void ShippedModelGivesTheEnginesLogitsAndItsOwnRuns(string name)
    {
        var onnx = OnnxModel.Load(Path.Combine(RepositoryRoot.Path, "models", name, name + ".onnx"));
        var p = ExportMetadata.ReadP(onnx, name);
        var tokens = AllPairs(p);
        using var ort = new OnnxEdgePatching(onnx, name, tokens, Corruption.Resample, seed: 0, options: new ModelSessionOptions { Threads = 2 });
        AssertAgainstExport(onnx, ort);
        var engine = new EdgePatching(ExportedEngine.Load(onnx, ExportMetadata.Read(onnx, name), name, "test", threads: 2), tokens, Corruption.Resample, seed: 0);
        var random = new Random(23);
        var run = engine.NewRun();
        for (var trial = 0; trial < 3; trial++)
        {
            var mask = Enumerable.Range(0, engine.Graph.Edges.Count).Select(_ => (float)random.Next(2)).ToArray();
            for (var e = 0; e < mask.Length; e++) run[e] = mask[e];
            var worst = AssertClose(run.Logits(), ort.Logits(mask), $"{name}, mask {trial}");
            TestContext.WriteLine($"{name}, mask {trial}: largest difference {worst:G3} of the scale");
        }
    }

    /// <summary>
    /// A shipped int2 file (2-bit codes, whose own graph rounds each product's input to 8 bits) rewrites into the same
    /// edge-patched function as its float twin: the rewrite reads the folded weights whatever their storage and
    /// multiplies in float32. The 2-bit codes times their scale are the float file's values exactly, so the two rewrites
    /// are one graph with the same initializers, and their logits are equal to the bit.
    /// </summary>
    [TestMethod]
    public void ShippedInt2FileGivesItsFloatTwinsEdgePatching()
    {
        const string name = "li2024-binary";
        var folder = Path.Combine(RepositoryRoot.Path, "models", name);
        var tokens = AllPairs(113);
        var options = new ModelSessionOptions { Threads = 2 };
        using var twin = new OnnxEdgePatching(OnnxModel.Load(Path.Combine(folder, name + ".onnx")), name, tokens, Corruption.Resample, seed: 1, options: options);
        using var int2 = new OnnxEdgePatching(OnnxModel.Load(Path.Combine(folder, name + "-int2.onnx")), name + "-int2", tokens, Corruption.Resample, seed: 1, options: options);
        var random = new Random(29);
        var mask = Enumerable.Range(0, twin.Graph.Edges.Count).Select(_ => (float)random.Next(2)).ToArray();
        CollectionAssert.AreEqual(twin.Logits(mask), int2.Logits(mask), $"{name}: the int2 file's edge-patched logits are the float file's");
        CollectionAssert.AreEqual(twin.CorruptedLogits, int2.CorruptedLogits, $"{name}: and so are its corrupted senders'");
    }

    /// <summary>
    /// ACDC through ONNX Runtime keeps the engine's edges, with the engine's scores to the bound, on a briefly trained
    /// li2024 ternary at P = 31 (the intervention tests' model; its scores are small, so τ is too). The same kept set
    /// means something only when no score sits within rounding of τ, where the two could fairly decide differently:
    /// the test asks every tested score to be at least 100 times the two backends' largest score difference from τ.
    /// </summary>
    [TestMethod]
    [DataRow(CircuitMetric.KlDivergence, Corruption.Resample, 1e-3)]
    [DataRow(CircuitMetric.KlDivergence, Corruption.Mean, 1e-3)]
    public void AcdcThroughOnnxRuntimeKeepsTheEnginesEdges(CircuitMetric metric, Corruption corruption, double tau)
    {
        var onnx = Export(InterventionModels.Load(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1), WeightFormat.Float);
        var tokens = AllPairs(InterventionModels.P);
        var engine = new EdgePatching(ExportedEngine.Load(onnx, ExportMetadata.Read(onnx, "trained"), "trained", "test", threads: 1), tokens, corruption, seed: 2);
        using var ort = new OnnxEdgePatching(onnx, "trained", tokens, corruption, seed: 2, options: new ModelSessionOptions { Threads = 1 });
        var expected = Acdc.Run(engine, engine.Metric(metric), tau);
        var actual = Acdc.Run(ort, ort.Metric(metric), tau);
        for (var e = 0; e < expected.Scores.Length; e++)
            Assert.AreEqual(double.IsNaN(expected.Scores[e]), double.IsNaN(actual.Scores[e]), $"edge {engine.Graph.Edges[e]} tested by both or neither");
        var tested = Enumerable.Range(0, expected.Scores.Length).Where(e => double.IsFinite(expected.Scores[e])).ToArray();
        var difference = tested.Max(e => Math.Abs(expected.Scores[e] - actual.Scores[e]));
        var margin = tested.Min(e => Math.Abs(expected.Scores[e] - tau));
        var kept = expected.Kept.Count(k => k);
        TestContext.WriteLine($"{metric}, {corruption}, τ = {tau}: {kept} of {expected.Kept.Length} edges kept; scores differ by at most {difference:G3}, the nearest is {margin:G3} from τ");
        Assert.IsTrue(margin > 100 * difference, $"a score within {margin:G3} of τ, against differences of {difference:G3}: too close to tell rounding from a fault; choose another τ");
        Assert.IsTrue(kept > 0 && kept < expected.Kept.Length, $"the case keeps some edges and removes some ({kept} of {expected.Kept.Length})");
        CollectionAssert.AreEqual(expected.Kept, actual.Kept, "the same edges kept");
        foreach (var e in tested)
            Assert.AreEqual(expected.Scores[e], actual.Scores[e], 1e-4 * Math.Max(1, Math.Abs(expected.Scores[e])), $"score of {engine.Graph.Edges[e]}");
        Assert.AreEqual(expected.Metric, actual.Metric, 1e-4 * Math.Max(1, Math.Abs(expected.Metric)), "the circuit's metric");
    }

    /// <summary>Every mask 0 against the export's own logits, every mask 1 against its logits on the resampled pairs.</summary>
    private void AssertAgainstExport(OnnxModel onnx, OnnxEdgePatching ort)
    {
        using var session = ModelSession.FromModel(onnx, "export", new ModelSessionOptions { Threads = 1 });
        float[] Export(int[] tokens) => session.Run(tokens.Select(t => (long)t).ToArray(), [HookNames.Logits])[HookNames.Logits].Data;
        var edges = ort.Graph.Edges.Count;
        var clean = AssertClose(Export(ort.Tokens), ort.Logits(new float[edges]), "every mask clean");
        var corrupted = AssertClose(Export(ort.CorruptTokens!), ort.Logits(Enumerable.Repeat(1f, edges).ToArray()), "every mask corrupted");
        TestContext.WriteLine($"against the export: every mask clean {clean:G3}, every mask corrupted {corrupted:G3} of the scale");
        CollectionAssert.AreEqual(ort.CleanLogits, ort.Logits(new float[edges]), "a run with every mask 0 is the clean run, to the bit");
    }

    /// <returns>The largest difference per unit of max(1, the reference's largest |logit|).</returns>
    private static double AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        var scale = Math.Max(1, expected.Max(v => Math.Abs((double)v)));
        var worst = expected.Zip(actual, (a, b) => Math.Abs((double)a - b)).Max() / scale;
        Assert.IsTrue(worst <= Tolerance, $"{what}: logits differ by {worst:G3} of {scale:G3}, more than {Tolerance}");
        return worst;
    }

    private static OnnxModel Export(Core.Checkpoints.ModelCheckpoint.Loaded checkpoint, WeightFormat format) =>
        TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format }).Model;

    private static int[] AllPairs(int p) => ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p));
}
