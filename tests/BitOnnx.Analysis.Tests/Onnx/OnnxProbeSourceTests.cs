using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Onnx;

/// <summary>Probes read through ONNX Runtime against the training engine's own activation cache on the same weights.</summary>
[TestClass]
public sealed class OnnxProbeSourceTests
{
    [TestMethod]
    [DataRow("li2024", WeightQuantization.None, WeightFormat.Float)]
    [DataRow("nanda2023", WeightQuantization.Ternary, WeightFormat.Int8)]
    [DataRow("li2024", WeightQuantization.Binary, WeightFormat.Int2Exact)]
    public void EveryProbeEqualsTheEngineActivationCache(string preset, WeightQuantization mode, WeightFormat format)
    {
        var checkpoint = TinyExports.Checkpoint(preset, mode);
        var source = new OnnxProbeSource(ModularAdditionGraph.Read(TinyExports.Export(checkpoint, format), "tiny"), new OnnxProbeOptions { BatchSize = 50 });
        var cache = ActivationCache.Run(checkpoint.Config, checkpoint.Parameters, TinyExports.EngineTokens(TinyExports.P));

        Assert.AreEqual(TinyExports.P, source.P);
        foreach (var name in HookNames.For(checkpoint.Config, 1).Select(h => h.Name)) Assert.IsTrue(source.Names.Contains(name), $"{name} is an output of a --probes all export");
        foreach (var name in source.Names)
        {
            var onnx = source.Get(name);
            var engine = cache[name];
            CollectionAssert.AreEqual(engine.Shape.ToArray(), onnx.Shape, name);
            double magnitude = engine.Data.Where(float.IsFinite).Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
            double bound = 2e-5 * Math.Max(1, magnitude);
            for (int i = 0; i < onnx.Data.Length; i++)
            {
                float e = engine.Data[i], o = onnx.Data[i];
                if (float.IsNegativeInfinity(e)) Assert.IsTrue(float.IsNegativeInfinity(o), $"{name}[{i}] is masked in both");
                else Assert.AreEqual(e, o, bound, $"{name}[{i}] ({preset}, {mode}, {format})");
            }
        }
    }

    [TestMethod]
    public void BatchingDoesNotChangeTheProbesAndTheModelRunsOnce()
    {
        var model = TinyExports.Export(TinyExports.Checkpoint("li2024", WeightQuantization.None));
        var graph = ModularAdditionGraph.Read(model, "tiny");
        var whole = new OnnxProbeSource(graph, new OnnxProbeOptions { BatchSize = 1000, Outputs = [HookNames.MlpPost(0), HookNames.Logits] });
        var reports = new List<AnalysisProgress>();
        var pieces = new OnnxProbeSource(graph, new OnnxProbeOptions { BatchSize = 7, Outputs = [HookNames.MlpPost(0), HookNames.Logits] }, new SyncProgress(reports));
        CollectionAssert.AreEquivalent(new[] { HookNames.MlpPost(0), HookNames.Logits }, pieces.Names.ToArray());
        Assert.IsNull(pieces.InferenceTime, "nothing runs before a probe is asked for");
        CollectionAssert.AreEqual(whole.Get(HookNames.MlpPost(0)).Data, pieces.Get(HookNames.MlpPost(0)).Data);
        Assert.AreSame(pieces.Get(HookNames.Logits), pieces.Get(HookNames.Logits));
        Assert.AreEqual(1.0, reports[^1].Fraction);
        Assert.AreEqual(Math.Ceiling(121 / 7.0) + 1, reports.Count, "one report per batch after the first at 0");
        Assert.ThrowsException<MissingProbesException>(() => pieces.Get(HookNames.Embed));
    }

    [TestMethod]
    public void PComesFromTheLogitsWidthWithoutMetadataAndADisagreementIsAnError()
    {
        var model = TinyExports.Export(TinyExports.Checkpoint("li2024", WeightQuantization.None));
        var bare = model.Proto.Clone();
        bare.MetadataProps.Clear();
        Assert.AreEqual(TinyExports.P, ModularAdditionGraph.Read(new OnnxModel(bare), "bare").P);

        var wrong = model.Proto.Clone();
        new ExportMetadata(13).WriteInto(wrong);
        var e = Assert.ThrowsException<OnnxFormatException>(() => ModularAdditionGraph.Read(new OnnxModel(wrong), "wrong"));
        StringAssert.Contains(e.Message, "P = 13");
        StringAssert.Contains(e.Message, "11 columns");
    }

    [TestMethod]
    public void AnEmbeddedInputExportIsRefusedAsATokenModelWithAPointerToTheRightOption()
    {
        var embedded = TinyExports.Export(TinyExports.Checkpoint("li2024", WeightQuantization.None), embeddedInput: true, doublePrecision: true);
        var e = Assert.ThrowsException<ModelContractException>(() => ModularAdditionGraph.Read(embedded, "emb"));
        StringAssert.Contains(e.Message, "'tokens'");
        StringAssert.Contains(e.Message, "--embedded");
    }
}
