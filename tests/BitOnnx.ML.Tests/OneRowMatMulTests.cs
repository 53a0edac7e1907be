using System.Text.Json;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Surgery;
using BitOnnx.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BitOnnx.ML.Tests;

/// <summary>
/// The predictor's graph for ML.NET's one-row calls (<see cref="OneRowMatMuls"/>): ONNX Runtime's profile of one-row
/// runs on a two-thread session shows no node handing work to the pool (and shows the unsplit graph's MLP products
/// doing so, so the check can see it), the outputs equal the unsplit graph's, and nothing but the large float weights changes.
/// </summary>
[TestClass]
public sealed class OneRowMatMulTests
{
    public static IEnumerable<object[]> Models() => [["li2024-binary"], ["nanda2023-fp"]];

    [TestMethod]
    [DynamicData(nameof(Models), DynamicDataSourceType.Method)]
    public void NoOneRowProductIsSharedWithTheThreadPool(string name)
    {
        var unsplit = MlNetExport.PairGraph(SmallModels.ShippedModel(name));
        var split = Split(unsplit);
        CollectionAssert.AreEquivalent(new[] { "blocks.0.mlp.hook_pre", "blocks.0.hook_mlp_out" }, PooledNodes(unsplit),
            "control: ONNX Runtime shares out the two MLP products of one row when nothing is split");
        CollectionAssert.AreEqual(Array.Empty<string>(), PooledNodes(split), "no node of the split graph uses the pool for one row");
    }

    [TestMethod]
    [DynamicData(nameof(Models), DynamicDataSourceType.Method)]
    public void SplitGraphGivesTheUnsplitOutputsBitForBit(string name)
    {
        var unsplit = MlNetExport.PairGraph(SmallModels.ShippedModel(name));
        var split = Split(unsplit);
        // One row per call on one thread, as ML.NET calls it: each output column is the same dot product in the same order.
        using var before = Session(unsplit, threads: 1);
        using var after = Session(split, threads: 1);
        const int p = 113;
        for (var r = 0; r < p * p; r += 37)
        {
            foreach (var output in new[] { "logits", "Score" })
                CollectionAssert.AreEqual(RunRow(before, r / p, r % p, output), RunRow(after, r / p, r % p, output), $"{output} of pair ({r / p}, {r % p})");
        }
        // Every pair in one batched call (many rows: the blocks are large products again, shared out as before).
        var (score, predicted, logits) = PairSignatureTests.RunPair(split, p);
        var (score0, predicted0, logits0) = PairSignatureTests.RunPair(unsplit, p);
        CollectionAssert.AreEqual(predicted0, predicted, "PredictedSum of every pair");
        for (var i = 0; i < logits.Length; i++)
        {
            Assert.AreEqual(logits0[i], logits[i], 1e-5 * Math.Max(1, Math.Abs(logits0[i])), $"logit {i}");
            Assert.AreEqual(score0[i], score[i], 1e-6, $"Score {i}");
        }
    }

    [TestMethod]
    public void OnlyLargeFloatWeightsAreSplitAndNamesStay()
    {
        var unsplit = OnnxModel.FromBytes(MlNetExport.PairGraph(SmallModels.ShippedModel("li2024-binary")));
        var split = OnnxModel.FromBytes(Split(unsplit.ToBytes()));
        CollectionAssert.AreEqual(unsplit.Outputs.Select(o => o.Name).ToArray(), split.Outputs.Select(o => o.Name).ToArray(), "graph outputs");
        var unsplitValues = unsplit.Graph.Node.SelectMany(n => n.Output).ToHashSet();
        Assert.IsTrue(unsplitValues.IsSubsetOf(split.Graph.Node.SelectMany(n => n.Output)), "every value (hook) the unsplit graph computes is still computed, under its name");

        var names = split.Initializers.Select(i => i.Name).ToHashSet();
        Assert.IsFalse(names.Contains("blocks.0.mlp.W_in") || names.Contains("blocks.0.mlp.W_out"), "the split weights are not stored twice");
        var wIn = unsplit.ReadInitializer<float>("blocks.0.mlp.W_in"); // [128, 512]
        var firstBlock = split.GetInitializer("blocks.0.mlp.W_in.columns_0_256");
        CollectionAssert.AreEqual(new long[] { 128, 256 }, firstBlock.Dims.ToArray());
        var block = OnnxTensor.ToArray<float>(firstBlock);
        for (var r = 0; r < 128; r += 17)
            for (var c = 0; c < 256; c += 31)
                Assert.AreEqual(wIn[r * 512 + c], block[r * 256 + c], $"W_in[{r}, {c}]");

        foreach (var matMul in split.Graph.Node.Where(n => n.OpType == "MatMul"))
        {
            var weight = split.Graph.Initializer.FirstOrDefault(t => t.Name == matMul.Input[1]);
            if (weight is not null)
                Assert.IsTrue(weight.Dims.Aggregate(1L, (a, d) => a * d) < OneRowMatMuls.MlasThreadComplexity, $"{matMul.Name} multiplies by {weight.Name}");
        }
    }

    [TestMethod]
    public void SmallModelsAreLeftAlone()
    {
        var bytes = MlNetExport.PairGraph(TestCheckpoints.Untrained(SmallConfigs.Width32(TransformerConfig.Li2024Name, WeightQuantization.None), seed: 3));
        Assert.AreEqual(0, OneRowMatMuls.Split(OnnxModel.FromBytes(bytes).Proto), "d_model 32, d_mlp 64: every product is small");
    }

    private static byte[] Split(byte[] graph)
    {
        var model = OnnxModel.FromBytes(graph);
        Assert.AreEqual(2, OneRowMatMuls.Split(model.Proto), "W_in and W_out are split");
        return model.ToBytes();
    }

    /// <summary>
    /// The nodes that handed work to the intra-op pool in one-row runs on two threads (ONNX Runtime's default on two
    /// cores, set here so that a pool exists on any machine), from the profile's per-node thread scheduling stats.
    /// </summary>
    private static string[] PooledNodes(byte[] graph)
    {
        var prefix = Path.Combine(TempDir.NewPath("bitonnx-ml-tests"), "profile");
        Directory.CreateDirectory(Path.GetDirectoryName(prefix)!);
        try
        {
            string file;
            using (var session = Session(graph, threads: 2, profilePrefix: prefix))
            {
                for (var r = 0; r < 20; r++) RunRow(session, r, 2 * r, "logits");
                file = session.EndProfiling();
            }
            using var profile = JsonDocument.Parse(File.ReadAllText(file));
            return profile.RootElement.EnumerateArray()
                .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
                .Where(e => e.GetProperty("args").TryGetProperty("thread_scheduling_stats", out var stats) &&
                    stats.GetProperty("main_thread").GetProperty("block_size").GetArrayLength() > 0)
                .Select(e => e.GetProperty("name").GetString()![..^"_kernel_time".Length])
                .Distinct().Order(StringComparer.Ordinal).ToArray();
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(prefix)!, recursive: true);
        }
    }

    private static InferenceSession Session(byte[] graph, int threads, string? profilePrefix = null)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads };
        if (profilePrefix is not null)
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = profilePrefix;
        }
        return new InferenceSession(graph, options);
    }

    private static float[] RunRow(InferenceSession session, long a, long b, string output)
    {
        using var results = session.Run([
            NamedOnnxValue.CreateFromTensor("A", new DenseTensor<long>(new[] { a }, [1, 1])),
            NamedOnnxValue.CreateFromTensor("B", new DenseTensor<long>(new[] { b }, [1, 1])),
        ]);
        return results.First(r => r.Name == output).AsTensor<float>().ToArray();
    }
}
