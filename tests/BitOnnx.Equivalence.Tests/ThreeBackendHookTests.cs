using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.TestSupport;
using BitOnnx.Torch;
using BitOnnx.Torch.Model;
using TorchSharp;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// One trained model (li2024 binary, 1 layer, P = 23, default widths) through the engine, TorchSharp and ONNX Runtime
/// (exported with every probe): every hook all three share agrees pairwise on every pair.
/// </summary>
[TestClass]
public sealed class ThreeBackendHookTests
{
    private const int P = 23;

    /// <summary>
    /// The bounds used elsewhere: engine vs TorchSharp 1e-5 of the magnitude (tests/BitOnnx.Torch.Tests: float32 sums in
    /// different orders, equal codes); anything vs ONNX Runtime <see cref="ExportVerification.DefaultTolerance"/>.
    /// Both are taken per unit of max(1, magnitude), as <see cref="OutputDifference.Bound"/> does.
    /// </summary>
    private const double EngineTorchTolerance = 1e-5;

    [TestMethod]
    public void EngineTorchSharpAndOnnxRuntimeAgreeOnEveryHook()
    {
        var config = TransformerConfig.Li2024 with { P = P, Quantization = WeightQuantization.Binary, NLayers = 1 };
        var run = new RunFolder(TempDir.NewPath("bitonnx-equivalence-tests"));
        new Trainer(config, new TrainingOptions { Epochs = 30, Seed = 4, LogEvery = 30, Threads = 1 }, run, EngineBackend.Instance).Run();
        var checkpoint = ModelCheckpoint.Load(run.ModelFile);
        var rows = ModularAdditionData.AllRows(P);

        var engine = EngineVerification.Activations(checkpoint);

        TorchRuntime.SetThreads(1);
        using var model = new TorchTransformer(checkpoint.Config);
        model.LoadFrom(checkpoint.Parameters);
        using var batch = new TokenBatch(checkpoint.Config, ModularAdditionData.Tokens(P, rows), ModularAdditionData.Targets(P, rows));
        using var hooks = new HookRecorder();
        using (torch.no_grad()) model.Forward(batch, lastPositionOnly: false, hooks).Dispose();

        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Float, Probes = HookSelection.Every });
        using var session = ModelSession.FromModel(export.Model, "li2024-binary-p23", new ModelSessionOptions { Threads = 1 });
        var shared = HookNames.For(checkpoint.Config, rows.Length).Select(h => h.Name)
            .Where(n => hooks.Tensors.ContainsKey(n) && session.OutputNames.Contains(n)).ToList();
        var onnx = session.Run(Array.ConvertAll(ModularAdditionData.Tokens(P, rows), t => (long)t), shared);

        Assert.AreEqual(HookNames.For(checkpoint.Config, 1).Count, shared.Count, "every hook is shared by all three");
        foreach (var name in shared)
        {
            var e = engine[name].Data;
            var t = hooks.Values(name);
            var o = onnx[name].Data;
            Within(name, "engine vs TorchSharp", e, t, EngineTorchTolerance);
            Within(name, "engine vs ONNX Runtime", e, o, ExportVerification.DefaultTolerance);
            Within(name, "TorchSharp vs ONNX Runtime", t, o, ExportVerification.DefaultTolerance);
        }
    }

    private static void Within(string hook, string pair, float[] expected, float[] actual, double tolerance)
    {
        var d = new OutputDifference(hook, ExportVerification.MaxAbsDifference(expected, actual), ExportVerification.Magnitude(expected), tolerance);
        Assert.IsTrue(d.Passed, $"{hook}, {pair}: max |Δ| = {d.MaxAbsDifference:E2} above {d.Bound:E2} (magnitude {d.Magnitude:G3})");
    }
}
