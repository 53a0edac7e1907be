using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BitOnnx.Analysis.Explanations;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Surgery;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// A model with its MLP replaced by a transcoder (<c>bitonnx transcoder splice</c>) under verify, analyze and ablate,
/// and the report's transcoder section from <c>analyze --transcoder</c>, on a small model (P = 13) and a seeded
/// transcoder built here.
/// </summary>
[TestClass]
public sealed class SplicedModelCommandTests
{
    private const int P = 13;
    private const int Width = 24;

    /// <summary>The model (memorised in 40 epochs, every probe, writable), its checkpoint, a seeded L1 transcoder of it, and the spliced model.</summary>
    private static readonly Lazy<(string Model, string Checkpoint, string Transcoder, string Spliced)> Fixture = new(() =>
    {
        var folder = CliProcess.TempFolder();
        var run = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--p", "13", "--d-model", "16", "--n-heads", "2", "--d-mlp", "24", "--epochs", "40", "--log-every", "40", "--out", run);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        var model = Path.Combine(folder, "small.onnx");
        var export = CliProcess.Run("export", Path.Combine(run, "model.safetensors"), "-o", model, "--probes", "all", "--writable", "all");
        Assert.AreEqual(0, export.ExitCode, export.Error);
        var tc = Path.Combine(folder, "tc");
        Directory.CreateDirectory(tc);
        var metadata = ExportMetadata.Read(OnnxModel.Load(model), "small.onnx");
        var d = metadata.Config!.DModel;
        // L1: no TopK, so no near-tie between latents that rounding could decide differently on two backends.
        var t = Transcoder.Zeros(new TranscoderConfig(TranscoderKind.L1, d, d, Width, 0, 0.1, 0), new TranscoderSource("small.onnx", P, metadata.WeightsSha256!));
        var random = new SeededRandom(41);
        foreach (ref var w in t.Parameters[Transcoder.EncoderWeight]) w = (float)(random.NextGaussian() / Math.Sqrt(d));
        foreach (ref var w in t.Parameters[Transcoder.DecoderWeight]) w = (float)(random.NextGaussian() * 3);
        TranscoderFile.Write(Path.Combine(tc, TranscoderFile.FileName), t);
        var spliced = Path.Combine(folder, "spliced.onnx");
        var splice = CliProcess.Run("transcoder", "splice", model, tc, "-o", spliced);
        Assert.AreEqual(0, splice.ExitCode, splice.Out + splice.Error);
        return (model, Path.Combine(run, "model.safetensors"), tc, spliced);
    });

    private static double EngineAccuracy(string verifyOutput) =>
        double.Parse(Regex.Match(verifyOutput, @"accuracy engine ([0-9.]+) %").Groups[1].Value, CultureInfo.InvariantCulture);

    [TestMethod]
    public void VerifyChecksTheSplicedModelAgainstTheEnginesSplice()
    {
        var (model, checkpoint, _, spliced) = Fixture.Value;
        var clean = CliProcess.Run("verify", model, checkpoint);
        Assert.AreEqual(0, clean.ExitCode, clean.Out + clean.Error);
        var r = CliProcess.Run("verify", spliced, checkpoint);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out, $"{P * P} pairs: 0 prediction mismatches");
        Assert.IsFalse(r.Out.Contains("above", StringComparison.Ordinal), r.Out);
        // The engine's reference is the splice, not the clean model: its accuracy moved with the transcoder.
        Assert.AreNotEqual(EngineAccuracy(clean.Out), EngineAccuracy(r.Out), r.Out);
    }

    [TestMethod]
    public void AnalyzeRunsOnTheSplicedModelAndSaysWhatItLeftOut()
    {
        var (_, _, _, spliced) = Fixture.Value;
        var report = Path.Combine(CliProcess.TempFolder(), "report");
        var r = CliProcess.Run("analyze", spliced, "--no-gradients", "-o", report);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out + r.Error, "no neuron analyses for spliced.onnx");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json")));
        Assert.AreEqual(JsonValueKind.Null, summary.RootElement.GetProperty("models")[0].GetProperty("fve").ValueKind, "no neuron FVE");
        StringAssert.Contains(summary.RootElement.GetProperty("models")[0].GetProperty("neurons_skipped").GetString(), "replaced by a transcoder");
        var sections = summary.RootElement.GetProperty("models")[0].GetProperty("sections");
        StringAssert.Contains(sections.GetProperty("explanations").GetProperty("skipped").GetString(), "replaced by a transcoder");
        StringAssert.Contains(sections.GetProperty("ablation").GetProperty("neurons_skipped").GetString(), "replaced by a transcoder");
        Assert.AreEqual(0, sections.GetProperty("ablation").GetProperty("neurons").GetInt32());
        Assert.IsTrue(sections.GetProperty("ablation").GetProperty("components").GetArrayLength() > 0, "the other components are ablated");
        StringAssert.Contains(File.ReadAllText(Path.Combine(report, "index.html")), "no neuron maps or FVE: its MLP is replaced by a transcoder");
    }

    [TestMethod]
    public void AnalyzeWithTheTranscoderShowsItsGalleryAndLossTable()
    {
        var (model, _, tc, spliced) = Fixture.Value;
        var report = Path.Combine(CliProcess.TempFolder(), "report");
        var r = CliProcess.Run("analyze", model, "--transcoder", tc, "--no-gradients", "-o", report);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json")));
        var section = summary.RootElement.GetProperty("models")[0].GetProperty("sections").GetProperty("transcoder");
        var losses = section.GetProperty("losses").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!, x => x.GetProperty("loss").GetDouble());
        CollectionAssert.AreEqual(new[] { "clean", "transcoder", "simulated from explanations", "zero-ablated MLP" }, losses.Keys.ToArray());
        Assert.AreEqual(Width, section.GetProperty("d_sae").GetInt32());

        // The transcoder's row is the spliced model's own loss, which analyze of the spliced model measures on its logits.
        var splicedReport = Path.Combine(CliProcess.TempFolder(), "spliced-report");
        Assert.AreEqual(0, CliProcess.Run("analyze", spliced, "--no-gradients", "-o", splicedReport).ExitCode);
        using var splicedSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(splicedReport, "summary.json")));
        var splicedLoss = splicedSummary.RootElement.GetProperty("models")[0].GetProperty("losses").GetProperty("all_loss").GetDouble();
        Assert.AreEqual(splicedLoss, losses["transcoder"], 1e-4 * Math.Max(1, splicedLoss));

        var refused = CliProcess.Run("analyze", spliced, "--transcoder", tc, "--no-gradients", "-o", Path.Combine(CliProcess.TempFolder(), "never"));
        AssertOneErrorLine(refused, "already has a transcoder spliced in");
    }

    [TestMethod]
    public void AblateLeavesOutTheSplicedNeuronsAndRefusesThemInOneLine()
    {
        var (_, _, _, spliced) = Fixture.Value;
        var csv = Path.Combine(CliProcess.TempFolder(), "ablation.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
        var r = CliProcess.Run("ablate", spliced, "--csv", csv);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out, "neurons left out");
        var rows = File.ReadAllLines(csv);
        Assert.IsFalse(rows.Any(l => l.Contains("hook_post", StringComparison.Ordinal)), "no neuron rows");
        Assert.IsTrue(rows.Any(l => l.StartsWith("blocks.0.hook_mlp_out", StringComparison.Ordinal)), "the transcoder's output is ablated as the MLP's");

        AssertOneErrorLine(CliProcess.Run("ablate", spliced, "--what", "neurons"), "--what mlp");
    }

    /// <summary>The model spliced with latents simulated from seeded explanations of the fixture's transcoder.</summary>
    private static readonly Lazy<string> Simulated = new(() =>
    {
        var (model, _, tc, _) = Fixture.Value;
        // Explanations of seeded noise: formulas on every axis, whatever they say; verify holds the graph to them.
        var random = new SeededRandom(43);
        var activations = new float[P * P * Width];
        foreach (ref var a in activations.AsSpan()) a = (float)Math.Max(0, random.NextGaussian());
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(tc, TranscoderFile.FileName), Path.Combine(folder, TranscoderFile.FileName));
        ExplanationCsv.Write(Path.Combine(folder, "latents.csv"), UnitExplainer.ExplainAll(P, activations, Width));
        var simulated = Path.Combine(folder, "simulated.onnx");
        var splice = CliProcess.Run("transcoder", "splice", model, folder, "--from-explanations", "-o", simulated);
        Assert.AreEqual(0, splice.ExitCode, splice.Out + splice.Error);
        return simulated;
    });

    [TestMethod]
    public void VerifyChecksASpliceFromExplanationsAgainstItsFormulasComputedInManagedCode()
    {
        var (model, checkpoint, _, spliced) = Fixture.Value;
        var r = CliProcess.Run("verify", Simulated.Value, checkpoint);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out, $"{P * P} pairs: 0 prediction mismatches");
        Assert.IsFalse(r.Out.Contains("above", StringComparison.Ordinal), r.Out);
        // The reference is the simulated splice, neither the clean model nor the transcoder's own splice.
        var clean = CliProcess.Run("verify", model, checkpoint);
        var transcoder = CliProcess.Run("verify", spliced, checkpoint);
        Assert.AreNotEqual(EngineAccuracy(clean.Out), EngineAccuracy(r.Out), r.Out);
        Assert.AreNotEqual(EngineAccuracy(transcoder.Out), EngineAccuracy(r.Out), r.Out);
    }

    [TestMethod]
    public void TheManagedReferenceIsTheExplanationsFormulasDecodedByTheTranscoder()
    {
        // What verify reads back from the graph, against latents.csv's formulas evaluated in double and decoded by hand
        // with the transcoder file's W_dec and b_dec, on every pair.
        var folder = Path.GetDirectoryName(Simulated.Value)!;
        var splice = SimulatedSplice.Read(OnnxModel.Load(Simulated.Value), "simulated.onnx");
        var formulas = ExplanationCsv.ParseFormulas(File.ReadAllText(Path.Combine(folder, "latents.csv"))).OrderBy(f => f.Unit).Select(f => f.Formula).ToArray();
        var t = TranscoderFile.Read(Path.Combine(folder, TranscoderFile.FileName));
        var (wDec, bDec, d) = (t.Parameters[Transcoder.DecoderWeight].ToArray(), t.Parameters[Transcoder.DecoderBias].ToArray(), t.Config.DOut);
        Assert.AreEqual(Width, formulas.Length);
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++)
            {
                var latents = splice.Latents(a, b);
                var expected = new double[d];
                for (var j = 0; j < d; j++) expected[j] = bDec[j];
                for (var u = 0; u < Width; u++)
                {
                    var f = formulas[u].Evaluate(a, b);
                    Assert.AreEqual(f, latents[u], 1e-5 * (1 + Math.Abs(f)), $"latent {u} at ({a}, {b})");
                    for (var j = 0; j < d; j++) expected[j] += f * wDec[u * d + j];
                }
                var output = splice.Output(a, b);
                for (var j = 0; j < d; j++) Assert.AreEqual(expected[j], output[j], 1e-4 * (1 + Math.Abs(expected[j])), $"output {j} at ({a}, {b})");
            }
    }

    [TestMethod]
    public void VerifyFailsASpliceFromExplanationsWhoseGraphNoLongerComputesItsFormulas()
    {
        var (_, checkpoint, _, _) = Fixture.Value;
        // A copy whose simulator reads b where it should read a: the formulas the graph holds are intact, so the managed
        // reference computes them as written, and the graph no longer does.
        var broken = OnnxModel.Load(Simulated.Value).Proto.Clone();
        var initializers = broken.Graph.Initializer;
        var index = initializers.ToList().FindIndex(t => t.Name == "transcoder.simulator.position_a");
        Assert.IsTrue(index >= 0, "the simulator gathers a from the tokens");
        initializers[index] = OnnxTensor.Scalar("transcoder.simulator.position_a", 1L);
        var path = Path.Combine(CliProcess.TempFolder(), "broken.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        new OnnxModel(broken).Save(path);
        var r = CliProcess.Run("verify", path, checkpoint);
        Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out, "above");
        StringAssert.Contains(r.Error, "error: some outputs differ by more than the tolerance");
    }

    private static void AssertOneErrorLine(CliProcess.Result r, string message)
    {
        Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
        var errors = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(1, errors.Length, r.Error);
        StringAssert.StartsWith(errors[0], "error: ");
        StringAssert.Contains(errors[0], message);
    }
}
