using System.Globalization;
using System.Text.Json;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Report;
using BitOnnx.Analysis.Sections;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Transcoders;

/// <summary>
/// The report's transcoder section on a small export and a seeded transcoder written beside it: the gallery's maps are
/// the encoder computed by hand in double over every pair, the dead latents and L0 are counted by hand, and the loss
/// table's losses and ce_loss_score are those of the model run by hand with its MLP output replaced or zeroed. A model
/// with a transcoder spliced in is analysed without its neuron analyses, each part left out saying why.
/// </summary>
[TestClass]
public sealed class TranscoderSectionTests
{
    private const int P = SmallExports.P;
    private const int Width = 32;
    private const int K = 4;
    private static readonly int[] PlantedDead = [3, 7];

    private static string TranscoderFolder(string folder, string modelPath)
    {
        var model = OnnxModel.Load(modelPath);
        var metadata = ExportMetadata.Read(model, Path.GetFileName(modelPath));
        int d = metadata.Config!.DModel;
        var t = Transcoder.Zeros(new TranscoderConfig(TranscoderKind.TopK, d, d, Width, K, 0, 0), TranscoderInput.SourceOf(modelPath, metadata));
        var random = new SeededRandom(29);
        foreach (ref var w in t.Parameters[Transcoder.EncoderWeight]) w = (float)(random.NextGaussian() / Math.Sqrt(d));
        foreach (ref var b in t.Parameters[Transcoder.EncoderBias]) b = (float)(random.NextGaussian() * 0.05);
        foreach (ref var w in t.Parameters[Transcoder.DecoderWeight]) w = (float)random.NextGaussian();
        foreach (ref var b in t.Parameters[Transcoder.DecoderBias]) b = (float)(random.NextGaussian() * 0.1);
        foreach (var j in PlantedDead) t.Parameters[Transcoder.EncoderBias][j] = -1e4f;
        var path = Path.Combine(folder, "tc");
        Directory.CreateDirectory(path);
        TranscoderFile.Write(Path.Combine(path, TranscoderFile.FileName), t);
        return path;
    }

    /// <summary>TopK(ReLU(x·W_enc + b_enc)) in double, ties to the lower index: [P², width].</summary>
    private static double[] Latents(float[] x, Transcoder t, int d)
    {
        var w = t.Parameters[Transcoder.EncoderWeight].ToArray();
        var b = t.Parameters[Transcoder.EncoderBias].ToArray();
        var latents = new double[P * P * Width];
        for (var r = 0; r < P * P; r++)
        {
            var pre = new double[Width];
            for (var j = 0; j < Width; j++)
            {
                double s = b[j];
                for (var i = 0; i < d; i++) s += (double)x[r * d + i] * w[i * Width + j];
                pre[j] = Math.Max(0, s);
            }
            foreach (var j in Enumerable.Range(0, Width).OrderByDescending(j => pre[j]).ThenBy(j => j).Take(K)) latents[r * Width + j] = pre[j];
        }
        return latents;
    }

    /// <summary>Mean over pairs of −log softmax(logits)[(a + b) mod P], in double.</summary>
    private static double Loss(float[] logits)
    {
        double total = 0;
        for (var r = 0; r < P * P; r++)
        {
            var row = logits.AsSpan(r * P, P);
            double max = double.NegativeInfinity, sum = 0;
            foreach (var v in row) max = Math.Max(max, v);
            foreach (var v in row) sum += Math.Exp(v - max);
            total += max + Math.Log(sum) - row[(r / P + r % P) % P];
        }
        return total / (P * P);
    }

    private static float[] LastPosition(float[] all, int n, int d)
    {
        var last = new float[P * P * d];
        for (var r = 0; r < P * P; r++) all.AsSpan((r * n + n - 1) * d, d).CopyTo(last.AsSpan(r * d, d));
        return last;
    }

    /// <summary>The logits with <c>hook_mlp_out</c> at the last position set to <paramref name="mlpOut"/> [P², d].</summary>
    private static float[] LogitsWith(ModelSession session, double[] mlpOut, int n, int d)
    {
        var values = new float[P * P * n * d];
        for (var r = 0; r < P * P; r++)
            for (var o = 0; o < d; o++) values[(r * n + n - 1) * d + o] = (float)mlpOut[r * d + o];
        var tokens = ModelSession.GridTokens(P);
        var writes = session.Resolve(tokens, [Intervention.Patch(TranscoderConfig.MlpOutput, values, new HookIndex(Position: n - 1))]);
        return session.Run(tokens, writes, [HookNames.Logits])[HookNames.Logits].Data;
    }

    [TestMethod]
    public void TheGalleryAndTheLossTableAreTheTranscoderComputedByHand()
    {
        using var dir = new TempDir();
        var modelPath = SmallExports.Write(dir.Path, "writable.onnx", HookSelection.Every);
        var tc = TranscoderFolder(dir.Path, modelPath);
        var options = new AnalysisOptions { Sections = ["transcoder"] };
        ReportFiles files;
        using (var inputs = OnnxModelInputs.Open(new OnnxModelRequest(modelPath, Gradients: false, TranscoderPath: tc), options))
            files = ReportWriter.Write(Path.Combine(dir.Path, "report"), [new ReportModel(ModelAnalyzer.Analyze(inputs.Inputs, options))]);

        using var session = ModelSession.Open(modelPath);
        var config = session.Metadata.Config!;
        int d = config.DModel, n = config.NCtx;
        var transcoder = TranscoderFile.Read(Path.Combine(tc, TranscoderFile.FileName));
        var grid = session.RunGrid([TranscoderConfig.MlpInput, HookNames.Logits]);
        var latents = Latents(LastPosition(grid[TranscoderConfig.MlpInput].Data, n, d), transcoder, d);
        var fires = Enumerable.Range(0, Width).Select(j => Enumerable.Range(0, P * P).Count(r => latents[r * Width + j] != 0)).ToArray();
        var dead = fires.Count(f => f == 0);
        var l0 = (double)latents.Count(v => v != 0) / (P * P);
        var mlpOut = new double[P * P * d];
        var wDec = transcoder.Parameters[Transcoder.DecoderWeight].ToArray();
        var bDec = transcoder.Parameters[Transcoder.DecoderBias].ToArray();
        for (var r = 0; r < P * P; r++)
            for (var o = 0; o < d; o++)
            {
                double s = bDec[o];
                for (var j = 0; j < Width; j++) s += latents[r * Width + j] * wDec[j * d + o];
                mlpOut[r * d + o] = s;
            }
        var (clean, spliced, zero) = (Loss(grid[HookNames.Logits].Data), Loss(LogitsWith(session, mlpOut, n, d)), Loss(LogitsWith(session, new double[P * P * d], n, d)));

        using var summary = JsonDocument.Parse(File.ReadAllText(files.SummaryJson));
        var section = summary.RootElement.GetProperty("models")[0].GetProperty("sections").GetProperty("transcoder");
        Assert.AreEqual(dead, section.GetProperty("dead_latents").GetInt32());
        Assert.IsTrue(dead >= PlantedDead.Length, "the planted dead latents are counted");
        var losses = section.GetProperty("losses").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!);
        Assert.AreEqual(clean, losses["clean"].GetProperty("loss").GetDouble(), 1e-9 * Math.Max(1, clean));
        Assert.AreEqual(spliced, losses["transcoder"].GetProperty("loss").GetDouble(), 1e-4 * Math.Max(1, spliced));
        Assert.AreEqual(zero, losses["zero-ablated MLP"].GetProperty("loss").GetDouble(), 1e-5 * Math.Max(1, zero));
        Assert.AreEqual((zero - spliced) / (zero - clean), losses["transcoder"].GetProperty("ce_loss_score").GetDouble(), 1e-3);
        Assert.AreEqual(l0, losses["transcoder"].GetProperty("l0").GetDouble(), 1e-12);
        var simulated = losses["simulated from explanations"].GetProperty("loss").GetDouble();
        Assert.AreEqual((zero - simulated) / (zero - clean), losses["simulated from explanations"].GetProperty("ce_loss_score").GetDouble(), 1e-3);
        Assert.IsTrue(Math.Abs(zero - clean) > 1e-3, $"the MLP matters to the model, so the score is defined: clean {clean}, zero-ablated {zero}, spliced {spliced}");

        // The gallery: live latents, most frequently active first, each map the hand-computed latent over (a, b).
        var gallery = section.GetProperty("gallery").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var expected = Enumerable.Range(0, Width).Where(j => fires[j] > 0).OrderByDescending(j => fires[j]).ThenBy(j => j).Take(TranscoderSection.GalleryLatents).ToArray();
        CollectionAssert.AreEqual(expected, gallery);
        var csv = File.ReadAllLines(Path.Combine(dir.Path, "report", "data", "writable.onnx", "transcoder_gallery.csv"));
        Assert.AreEqual("a,b," + string.Join(",", gallery.Select(j => $"latent_{j}")), csv[0]);
        Assert.AreEqual(P * P + 1, csv.Length);
        for (var r = 0; r < P * P; r++)
        {
            var cells = csv[r + 1].Split(',');
            Assert.AreEqual($"{r / P},{r % P}", $"{cells[0]},{cells[1]}");
            for (var i = 0; i < gallery.Length; i++)
            {
                var want = latents[r * Width + gallery[i]];
                Assert.AreEqual(want, double.Parse(cells[i + 2], CultureInfo.InvariantCulture), 1e-4 * Math.Max(1, Math.Abs(want)), $"latent {gallery[i]} at pair {r}");
            }
        }
        Assert.AreEqual(Width + 1, File.ReadAllLines(Path.Combine(dir.Path, "report", "data", "writable.onnx", "transcoder_latents.csv")).Length);

        var page = File.ReadAllText(files.IndexHtml);
        StringAssert.Contains(page, "Transcoder latents");
        StringAssert.Contains(page, "data-plot=\"transcoderGallery\" data-section=\"transcoder\" data-model=\"0\"");
        StringAssert.Contains(page, "BitOnnxReport.renderers.transcoderLosses");
    }

    [TestMethod]
    public void ATranscoderOfAnotherModelIsRefusedAndAModelWithoutOneSaysWhyNot()
    {
        using var dir = new TempDir();
        var modelPath = SmallExports.Write(dir.Path, "writable.onnx", HookSelection.Every);
        var tc = TranscoderFolder(dir.Path, modelPath);
        var other = TestCheckpoints.Untrained(SmallConfigs.Interventions(TransformerConfig.Li2024Name, P, WeightQuantization.Ternary), seed: 14);
        var otherPath = Path.Combine(dir.Path, "other.onnx");
        TransformerExporter.Export(other, new ExportOptions { Weights = WeightFormat.Float, Probes = HookSelection.Every, Writable = HookSelection.Every }).Model.Save(otherPath);
        var e = Assert.ThrowsException<AnalysisInputException>(() => OnnxModelInputs.Open(new OnnxModelRequest(otherPath, Gradients: false, TranscoderPath: tc)));
        StringAssert.Contains(e.Message, "was trained on");

        var options = new AnalysisOptions { Sections = ["transcoder"] };
        using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(modelPath, Gradients: false), options);
        var outcome = ModelAnalyzer.Analyze(inputs.Inputs, options).Sections.Single();
        Assert.IsNull(outcome.Result);
        StringAssert.Contains(outcome.Skipped, "--transcoder");
    }

    [TestMethod]
    public void ASplicedModelIsAnalysedWithoutItsReplacedNeuronsAndSaysWhy()
    {
        using var dir = new TempDir();
        var modelPath = SmallExports.Write(dir.Path, "writable.onnx", HookSelection.Every);
        var transcoder = TranscoderFile.Read(Path.Combine(TranscoderFolder(dir.Path, modelPath), TranscoderFile.FileName));
        var splicedPath = Path.Combine(dir.Path, "spliced.onnx");
        TranscoderSurgery.Splice(OnnxModel.Load(modelPath), "writable.onnx", transcoder).Save(splicedPath);

        var options = new AnalysisOptions { Sections = ["explanations", "transcoder", "ablation"] };
        using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(splicedPath, Gradients: false), options);
        var analysis = ModelAnalyzer.Analyze(inputs.Inputs, options);
        Assert.IsNull(analysis.Neurons, "the replaced neurons feed nothing");
        StringAssert.Contains(analysis.NeuronsSkipped, "replaced by a transcoder");
        Assert.IsNotNull(analysis.Logits, "the rest reads the spliced model");
        foreach (var id in new[] { "explanations", "transcoder" })
            StringAssert.Contains(analysis.Sections.Single(s => s.Section.Id == id).Skipped, "replaced by a transcoder", id);
        var ablation = analysis.Sections.Single(s => s.Section.Id == "ablation");
        Assert.IsNotNull(ablation.Result, "components other than neurons are ablated");

        // The spliced model's loss is the splice's: the clean model with hook_mlp_out at '=' replaced by the transcoder.
        using var spliced = ModelSession.Open(splicedPath);
        Assert.AreEqual(Loss(spliced.RunGrid([HookNames.Logits])[HookNames.Logits].Data), analysis.Logits!.Loss.AllLoss, 1e-6);

        var e = Assert.ThrowsException<AnalysisInputException>(() =>
            OnnxModelInputs.Open(new OnnxModelRequest(splicedPath, Gradients: false, TranscoderPath: Path.Combine(dir.Path, "tc"))));
        StringAssert.Contains(e.Message, "already has a transcoder spliced in");
    }

    /// <summary>
    /// The page of a model with its transcoder beside the spliced model renders every plot in headless Chromium: the
    /// gallery's heatmaps on a sequential scale (latents are never negative), the loss table, and the spliced model's
    /// ablation without neurons.
    /// </summary>
    [TestMethod]
    [Timeout(300_000)]
    public void TheReportRendersInHeadlessChromium()
    {
        var browser = HeadlessChromium.Find();
        if (browser is null) Assert.Inconclusive($"No headless Chromium found (looked in {HeadlessChromium.SearchedPaths}).");
        using var dir = new TempDir();
        var modelPath = SmallExports.Write(dir.Path, "writable.onnx", HookSelection.Every);
        var tc = TranscoderFolder(dir.Path, modelPath);
        var splicedPath = Path.Combine(dir.Path, "spliced.onnx");
        TranscoderSurgery.Splice(OnnxModel.Load(modelPath), "writable.onnx", TranscoderFile.Read(Path.Combine(tc, TranscoderFile.FileName))).Save(splicedPath);
        var options = new AnalysisOptions { Sections = ["transcoder", "ablation"] };
        var models = new List<ReportModel>();
        foreach (var request in new[] { new OnnxModelRequest(modelPath, Gradients: false, TranscoderPath: tc), new OnnxModelRequest(splicedPath, Gradients: false) })
        {
            using var inputs = OnnxModelInputs.Open(request, options);
            models.Add(new ReportModel(ModelAnalyzer.Analyze(inputs.Inputs, options)));
        }
        var files = ReportWriter.Write(Path.Combine(dir.Path, "report"), models);
        var expected = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(files.IndexHtml), "data-plot=\"").Count;

        var (dom, log) = HeadlessChromium.Run(browser!, files.IndexHtml, TimeSpan.FromMinutes(4), "--dump-dom");
        var console = log.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(0, console.Length, "the page wrote to the console:\n" + string.Join("\n", console));
        StringAssert.Contains(dom, "data-report-ready=\"true\"");
        StringAssert.Contains(dom, "data-plot-errors=\"\"");
        StringAssert.Contains(dom, $"data-plots-rendered=\"{expected}\"");
        var gallery = System.Text.RegularExpressions.Regex.Match(dom, "data-plot=\"transcoderGallery\"[^>]*data-color-scales=\"([^\"]*)\"");
        Assert.IsTrue(gallery.Success, "the gallery drew its heatmaps");
        Assert.IsTrue(gallery.Groups[1].Value.Split(' ').All(v => v.StartsWith("sequential:", StringComparison.Ordinal)), gallery.Groups[1].Value);
        StringAssert.Contains(dom, "simulated from explanations");
    }
}
