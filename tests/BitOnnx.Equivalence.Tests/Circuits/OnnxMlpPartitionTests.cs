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
/// Edge patching on ONNX Runtime with each MLP split into any partition of its neurons (the surgery gathers each
/// group's columns of W_in and puts the groups' activations back in neuron order): contiguous groups listed in another
/// order give the contiguous grouping's logits with the masks permuted, to the bit; a scattered partition gives the
/// engine's logits for seeded random masks, to <see cref="ExportVerification.DefaultTolerance"/>; and every group's
/// edge corrupted at once gives the whole MLP's edge corrupted.
/// </summary>
[TestClass]
public sealed class OnnxMlpPartitionTests
{
    private static (TransformerConfig Config, OnnxModel Onnx, int[] Tokens) Case(string preset, WeightQuantization mode, int layers)
    {
        var config = SmallConfigs.Interventions(preset, 7, mode) with { NLayers = layers };
        var onnx = TransformerExporter.Export(TestCheckpoints.Untrained(config, 5), new ExportOptions { Weights = WeightFormat.Float }).Model;
        return (config, onnx, ModularAdditionData.Tokens(config.P, ModularAdditionData.AllRows(config.P)));
    }

    /// <summary>Each neuron in one of 3 groups by a seeded draw (every group holding at least one), labelled like key frequencies.</summary>
    private static MlpPartition Scattered(int dMlp, int seed)
    {
        var random = new Random(seed);
        string[] labels = ["f=2", "f=3", "other"];
        var of = Enumerable.Range(0, dMlp).Select(n => n < labels.Length ? n : random.Next(labels.Length)).OrderBy(_ => random.Next()).ToArray();
        return MlpPartition.Of(dMlp, labels.Select((label, g) => new MlpGroup(label, Enumerable.Range(0, dMlp).Where(n => of[n] == g).ToArray())));
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2)]
    public void ContiguousGroupsInAnotherOrderGiveTheContiguousLogitsWithTheMasksPermuted(string preset, WeightQuantization mode, int layers)
    {
        var (config, onnx, tokens) = Case(preset, mode, layers);
        var contiguous = MlpPartition.Contiguous(config.DMlp, 3);
        int[] order = [1, 2, 0];
        var permuted = MlpPartition.Of(config.DMlp, order.Select(g => new MlpGroup($"block{g}", contiguous.Groups[g].Neurons)));
        var options = new ModelSessionOptions { Threads = 1 };
        using var a = new OnnxEdgePatching(onnx, "small", tokens, Corruption.Resample, seed: 3, 3, options);
        using var b = new OnnxEdgePatching(onnx, "small", tokens, Corruption.Resample, permuted, seed: 3, options);
        static string Rename(string name) => name.Replace("[group=", "[block", StringComparison.Ordinal);
        var twin = a.Graph.Edges.Select(e => b.Graph.Find(Rename(e.Sender.Name), Rename(e.Receiver.Name))!.Index).ToArray();
        Assert.IsTrue(twin.Select((t, i) => t != i).Any(x => x), "the graphs list the groups in another order");
        var random = new Random(13);
        for (var trial = 0; trial < 6; trial++)
        {
            var maskA = a.Graph.Edges.Select(_ => trial < 4 ? random.Next(2) : (float)(random.NextDouble() * 2 - 0.5)).ToArray();
            var maskB = new float[maskA.Length];
            for (var e = 0; e < maskA.Length; e++) maskB[twin[e]] = maskA[e];
            CollectionAssert.AreEqual(a.Logits(maskA), b.Logits(maskB), $"{config.Describe()}: mask {trial}");
        }
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 1, Corruption.Resample)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2, Corruption.Mean)]
    public void ScatteredGroupsGiveTheEnginesLogits(string preset, WeightQuantization mode, int layers, Corruption corruption)
    {
        var (config, onnx, tokens) = Case(preset, mode, layers);
        var partition = Scattered(config.DMlp, 7);
        var engine = new EdgePatching(ExportedEngine.Load(onnx, ExportMetadata.Read(onnx, "small"), "small", "test", threads: 1), tokens, corruption, partition, seed: 3);
        using var ort = new OnnxEdgePatching(onnx, "small", tokens, corruption, partition, seed: 3, new ModelSessionOptions { Threads = 1 });
        CollectionAssert.AreEqual(engine.Graph.Edges.Select(e => e.Name).ToList(), ort.Graph.Edges.Select(e => e.Name).ToList(), "one graph");
        var random = new Random(19);
        var run = engine.NewRun();
        for (var trial = 0; trial < 8; trial++)
        {
            var mask = engine.Graph.Edges.Select(_ => trial < 5 ? random.Next(2) : (float)(random.NextDouble() * 2 - 0.5)).ToArray();
            for (var e = 0; e < mask.Length; e++) run[e] = mask[e];
            AssertClose(run.Logits(), ort.Logits(mask), $"{config.Describe()}, {corruption}, mask {trial}");
        }
    }

    [TestMethod]
    public void EveryScatteredGroupsEdgeCorruptedIsTheWholeMlpsEdgeCorrupted()
    {
        var (config, onnx, tokens) = Case(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1);
        var options = new ModelSessionOptions { Threads = 1 };
        using var whole = new OnnxEdgePatching(onnx, "small", tokens, Corruption.Resample, seed: 3, options: options);
        using var split = new OnnxEdgePatching(onnx, "small", tokens, Corruption.Resample, Scattered(config.DMlp, 8), seed: 3, options);
        var moving = 0;
        foreach (var edge in whole.Graph.Edges.Where(e => e.Sender.Kind == SenderKind.Mlp || e.Receiver.Kind == ReceiverKind.Mlp))
        {
            var one = new float[whole.Graph.Edges.Count];
            one[edge.Index] = 1;
            var expected = whole.Logits(one);
            var many = new float[split.Graph.Edges.Count];
            var parts = split.Graph.Edges.Where(e => Whole(e.Sender.Name) == edge.Sender.Name && Whole(e.Receiver.Name) == edge.Receiver.Name).ToList();
            Assert.AreEqual(3, parts.Count, $"{edge}: one edge per group");
            foreach (var part in parts) many[part.Index] = 1;
            AssertClose(expected, split.Logits(many), $"{edge} as {parts.Count} edges");
            if (expected.Zip(whole.CleanLogits).Any(x => Math.Abs(x.First - x.Second) > 1e-3)) moving++;
        }
        Assert.IsTrue(moving > 0, "some MLP edge moves the logits");
    }

    private static string Whole(string name) => name.StartsWith("blocks.", StringComparison.Ordinal) && name.Contains(".mlp[", StringComparison.Ordinal)
        ? name[..name.IndexOf('[', StringComparison.Ordinal)] : name;

    /// <summary>Within <see cref="ExportVerification.DefaultTolerance"/> of max(1, the reference's largest |logit|), as OnnxEdgePatchingTests bounds the two backends.</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        var scale = Math.Max(1, expected.Max(v => Math.Abs((double)v)));
        var worst = expected.Zip(actual, (x, y) => Math.Abs((double)x - y)).Max() / scale;
        Assert.IsTrue(worst <= ExportVerification.DefaultTolerance, $"{what}: logits differ by {worst:G3} of {scale:G3}");
    }
}
