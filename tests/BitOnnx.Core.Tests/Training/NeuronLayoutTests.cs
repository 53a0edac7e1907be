using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Core.Tests.Training;

/// <summary>BIMT's layout: places, swaps, laying weights out and back, and its two files (resume metadata, bimt-swaps.csv).</summary>
[TestClass]
public sealed class NeuronLayoutTests
{
    private static readonly TransformerConfig Config = TransformerConfig.Li2024 with { P = 7, DModel = 6, NHeads = 3, DHead = 2, DMlp = 5, NLayers = 2 };

    private static ParameterSet Numbered()
    {
        var set = ParameterSet.Zeros(Config);
        for (var i = 0; i < set.Data.Length; i++) set.Data[i] = i;
        return set;
    }

    [TestMethod]
    public void ASwapMovesAHeadsSlabsAndANeuronsColumnAndRow()
    {
        var layout = NeuronLayout.Identity(Config);
        Assert.IsTrue(layout.IsIdentity);
        layout.Swap(1, NeuronKind.Head, 0, 2);
        layout.Swap(1, NeuronKind.Neuron, 1, 4);
        layout.Swap(1, NeuronKind.Neuron, 4, 3);
        Assert.AreEqual((2, 0), (layout.PlaceOf(1, NeuronKind.Head, 0), layout.SlotAt(1, NeuronKind.Head, 2)));
        Assert.AreEqual((4, 1, 3), (layout.PlaceOf(1, NeuronKind.Neuron, 3), layout.PlaceOf(1, NeuronKind.Neuron, 4), layout.PlaceOf(1, NeuronKind.Neuron, 1)));
        Assert.AreEqual(0, layout.PlaceOf(0, NeuronKind.Head, 0), "block 0 untouched");

        var source = Numbered();
        var laid = layout.Apply(source);
        var (d, e, m) = (Config.DModel, Config.DHead, Config.DMlp);
        foreach (var name in new[] { ParameterNames.Query(1), ParameterNames.Key(1), ParameterNames.Value(1), ParameterNames.Output(1) })
        {
            var slab = d * e;
            CollectionAssert.AreEqual(source[name].Slice(0, slab).ToArray(), laid[name].Slice(2 * slab, slab).ToArray(), name);
            CollectionAssert.AreEqual(source[name].Slice(2 * slab, slab).ToArray(), laid[name].Slice(0, slab).ToArray(), name);
            CollectionAssert.AreEqual(source[name].Slice(slab, slab).ToArray(), laid[name].Slice(slab, slab).ToArray(), name);
        }
        for (var r = 0; r < d; r++)
            Assert.AreEqual(source[ParameterNames.MlpIn(1)][r * m + 3], laid[ParameterNames.MlpIn(1)][r * m + 4], "W_in column of slot 3 at place 4");
        CollectionAssert.AreEqual(source[ParameterNames.MlpOut(1)].Slice(3 * d, d).ToArray(), laid[ParameterNames.MlpOut(1)].Slice(4 * d, d).ToArray());
        CollectionAssert.AreEqual(source[ParameterNames.Query(0)].ToArray(), laid[ParameterNames.Query(0)].ToArray());
        CollectionAssert.AreEqual(source[ParameterNames.Embed].ToArray(), laid[ParameterNames.Embed].ToArray());
        CollectionAssert.AreEquivalent(source.Data, laid.Data, "a permutation: every float once");
        CollectionAssert.AreEqual(source.Data, layout.Restore(laid).Data);
    }

    [TestMethod]
    public void JsonRoundTripsAndAnythingButPermutationsIsRefused()
    {
        var layout = NeuronLayout.Identity(Config);
        layout.Swap(0, NeuronKind.Neuron, 0, 3);
        layout.Swap(1, NeuronKind.Head, 1, 2);
        var json = layout.ToJson();
        Assert.AreEqual(layout, NeuronLayout.Parse(json, Config, "resume.safetensors"));
        Assert.AreNotEqual(NeuronLayout.Identity(Config), layout);
        foreach (var bad in new[]
        {
            "", "[]", "{\"blocks\":[]}", json.Replace("[3,1,2,0,4]", "[3,1,2,0,0]", StringComparison.Ordinal),
            json.Replace("[3,1,2,0,4]", "[3,1,2,0]", StringComparison.Ordinal), json.Replace("[0,2,1]", "[0,\"2\",1]", StringComparison.Ordinal),
        })
        {
            var e = Assert.ThrowsException<CheckpointException>(() => NeuronLayout.Parse(bad, Config, "resume.safetensors"), bad);
            StringAssert.Contains(e.Message, "unreadable BIMT layout");
        }
    }

    [TestMethod]
    public void SwapsCsvReadsBackAsWrittenAndRefusesDamage()
    {
        var run = new RunFolder(Path.Combine(Path.GetTempPath(), $"bitonnx-run-{Guid.NewGuid():N}"));
        try
        {
            run.EnsureWritable();
            NeuronSwap[] swaps = [new(200, 0, NeuronKind.Head, 3, 0, 1.25, 1.0 / 3), new(400, 1, NeuronKind.Neuron, 17, 511, 0.1, 0.09)];
            run.WriteSwaps(swaps.Take(1));
            run.AppendSwaps(swaps.Skip(1));
            CollectionAssert.AreEqual(swaps, run.ReadSwaps().ToArray());
            StringAssert.StartsWith(File.ReadAllText(run.SwapsFile), NeuronSwap.Header + "\n200,0,head,3,0,1.25,0.3333333333333333\n400,1,neuron,");
            File.WriteAllText(run.SwapsFile, NeuronSwap.Header + "\n200,0,axon,3,0,1,1\n");
            StringAssert.Contains(Assert.ThrowsException<RunFolderException>(() => run.ReadSwaps()).Message, "kind 'axon' is neither head nor neuron");
            File.WriteAllText(run.SwapsFile, NeuronSwap.Header + "\n200,0,head,3");
            StringAssert.Contains(Assert.ThrowsException<RunFolderException>(() => run.ReadSwaps()).Message, "cut short");
            run.WriteSettings(Config, new TrainingOptions { Bimt = new BimtSettings(0.1) });
            run.DeleteRun();
            Assert.IsFalse(File.Exists(run.SwapsFile), "a deleted run takes its swaps with it");
        }
        finally
        {
            if (Directory.Exists(run.Path)) Directory.Delete(run.Path, recursive: true);
        }
    }
}
