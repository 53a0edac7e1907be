using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Tests.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// Every shipped int2 model (models/NAME/NAME-int2.onnx), and the int2-native export of its checkpoint, on ONNX Runtime
/// with its log caught at INFO (<see cref="OrtLog"/>): no MatMulNBits falls back to de-quantizing its weights, the int2
/// file's 2-bit codes are unpacked by constant folding at load and its linears fused into DynamicQuantizeMatMul; then
/// over all 12,769 pairs, batched as `bitonnx predict --all` runs them and one row per call: accuracy at least the
/// engine's (which the float export equals on every pair, ExportEquivalenceTests), the same prediction as the engine on
/// at least 99.9% of pairs, logits within verify's bound. Runs on whatever the CPU offers and names the MLAS kernel
/// family it reached (AVX2, AVX-VNNI, AVX-512 or AVX-512 VNNI; on x86 without AVX2 the native test is inconclusive).
/// </summary>
[TestClass]
public sealed class ShippedInt2ModelsTests
{
    private const double Agreement = 0.999;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("li2024-binary")]
    [DataRow("li2024-ternary")]
    [DataRow("li2024-binary-all")]
    [DataRow("li2024-ternary-all")]
    public void ShippedInt2ModelRunsOnItsFastPathAndKeepsItsAccuracy(string name)
    {
        var folder = Path.Combine(RepositoryRoot.Path, "models", name);
        var checkpoint = ModelCheckpoint.Load(Path.Combine(folder, "model.safetensors"));
        var shipped = OnnxModel.Load(Path.Combine(folder, name + "-int2.onnx"));
        Assert.AreEqual("int2", ExportMetadata.Read(shipped, name).Weights, "the shipped file is the int2 format");

        var lines = RunLogged(shipped, checkpoint.Config.P, name);
        Assert.AreEqual(0, lines.Count(l => l.Contains(OrtLog.FallbackMessage, StringComparison.Ordinal)), string.Join("\n", lines));
        Assert.IsTrue(lines.Any(l => l.Contains("ConstantFolding modified: 1", StringComparison.Ordinal)), "the 2-bit codes are unpacked once, at load");
        Assert.IsTrue(lines.Any(l => l.Contains("DynamicQuantizeMatMulFusion modified: 1", StringComparison.Ordinal)), "the linears run as DynamicQuantizeMatMul");
        TestContext.WriteLine($"{name}-int2.onnx: DynamicQuantizeMatMul on MLAS's u8×s8 GEMM, {CpuFeatures.KernelFamily} kernels; no fallback");
        AssertAccuracy(shipped, checkpoint, name + "-int2.onnx");
    }

    [TestMethod]
    [DataRow("li2024-binary")]
    [DataRow("li2024-ternary")]
    [DataRow("li2024-binary-all")]
    [DataRow("li2024-ternary-all")]
    public void Int2NativeExportOfAShippedModelRunsOnOnnxRuntimes2BitKernels(string name)
    {
        if (!CpuFeatures.IsX86 || !CpuFeatures.HasAvx2)
            Assert.Inconclusive($"ONNX Runtime 1.32.0's 2-bit kernels are tested on x86 with AVX2 or AVX-512; this CPU: {CpuFeatures.KernelFamily}.");
        var checkpoint = ModelCheckpoint.Load(Path.Combine(RepositoryRoot.Path, "models", name, "model.safetensors"));
        var native = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int2Native }).Model;
        Assert.IsTrue(native.Graph.Node.Any(n => n.OpType == "MatMulNBits"));

        var lines = RunLogged(native, checkpoint.Config.P, name + "-int2-native");
        Assert.AreEqual(0, lines.Count(l => l.Contains(OrtLog.FallbackMessage, StringComparison.Ordinal)), string.Join("\n", lines));
        TestContext.WriteLine($"{name} int2-native: {native.Graph.Node.Count(n => n.OpType == "MatMulNBits")} MatMulNBits on MLAS's 2-bit {CpuFeatures.KernelFamily} kernels; no fallback");
        AssertAccuracy(native, checkpoint, name + " int2-native");
    }

    /// <summary>Opens the model with our session defaults, logging at INFO, runs all pairs once; returns the log.</summary>
    private static IReadOnlyList<string> RunLogged(OnnxModel model, int p, string name)
    {
        using var capture = OrtLog.Start();
        using var options = capture.Apply(SessionDefaults.Create(new ModelSessionOptions { Threads = 2 }));
        using var session = new InferenceSession(model.ToBytes(), options);
        var tokens = ModelSession.GridTokens(p);
        using var input = OrtValue.CreateTensorValueFromMemory(tokens, [p * p, 3]);
        using var outputs = session.Run(new RunOptions(), [session.InputNames[0]], [input], [HookNames.Logits]);
        Assert.AreEqual(p * p * p, outputs[0].GetTensorDataAsSpan<float>().Length, name);
        return capture.Lines;
    }

    /// <summary>Against the engine over all pairs: batched (ModelSession's default, as predict --all) and one row per call.</summary>
    private void AssertAccuracy(OnnxModel model, ModelCheckpoint.Loaded checkpoint, string name)
    {
        var p = checkpoint.Config.P;
        var engine = EngineVerification.Activations(checkpoint, threads: 2);
        using (var batched = ModelSession.FromModel(model, name, new ModelSessionOptions { Threads = 2 }))
        {
            var report = ExportVerification.Run(batched, p, engine, ExportVerification.ToleranceFor(batched.Metadata));
            Assert.IsTrue(report.Passed, $"{name}: logits max |Δ| {report.Outputs[0].MaxAbsDifference:E2} above {report.Outputs[0].Bound:E2}");
            Assert.IsTrue(report.OnnxAccuracy >= report.EngineAccuracy, $"{name}: accuracy {report.OnnxAccuracy:P2} below the engine's {report.EngineAccuracy:P2}");
            Assert.IsTrue(report.PredictionMismatches <= (1 - Agreement) * report.Pairs, $"{name}: {report.PredictionMismatches} of {report.Pairs} predictions differ from the engine's");
            TestContext.WriteLine($"{name}, batched: accuracy {report.OnnxAccuracy:P2} (engine {report.EngineAccuracy:P2}), {report.PredictionMismatches} predictions differ, logits max |Δ| {report.Outputs[0].MaxAbsDifference:E2} of {report.Outputs[0].Magnitude:F1}");
        }

        using var perRow = ModelSession.FromModel(model, name, new ModelSessionOptions { Threads = 1, BatchSize = 1 });
        var logits = perRow.RunGrid()[HookNames.Logits].Data;
        var expected = engine[HookNames.Logits].Data;
        var targets = ModularAdditionData.Targets(p, ModularAdditionData.AllRows(p));
        int hits = 0, engineHits = 0, differ = 0;
        for (var r = 0; r < p * p; r++)
        {
            int o = ExportVerification.ArgMax(logits.AsSpan(r * p, p)), e = ExportVerification.ArgMax(expected.AsSpan(r * p, p));
            hits += o == targets[r] ? 1 : 0;
            engineHits += e == targets[r] ? 1 : 0;
            differ += o != e ? 1 : 0;
        }
        Assert.IsTrue(hits >= engineHits, $"{name}, one row per call: {hits} correct, the engine {engineHits}");
        Assert.IsTrue(differ <= (1 - Agreement) * p * p, $"{name}, one row per call: {differ} predictions differ from the engine's");
        TestContext.WriteLine($"{name}, one row per call: {hits}/{p * p} correct (engine {engineHits}), {differ} predictions differ");
    }
}
