using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Report;
using BitOnnx.Analysis.Runs;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

/// <summary>
/// The report of the shipped P = 113 models (li2024 binary and ternary, nanda2023), rendered in headless Chromium with
/// screenshots kept in the test's output folder: every heatmap's colour scale spans its own data (a sequential scale
/// from the smallest to the largest value, or a diverging one whose larger end is the largest magnitude), scales that
/// are never negative are sequential, and no neuron on a default panel is dead.
/// </summary>
[TestClass]
public sealed class ShippedReportBrowserTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(600_000)]
    public void TheP113ReportsScalesSpanTheirDataAndShowNoDeadNeuron()
    {
        var browser = HeadlessChromium.Find()
            ?? throw new AssertInconclusiveException($"No headless Chromium found (looked in {HeadlessChromium.SearchedPaths}); install the Debian package `chromium`.");
        var root = RepositoryRoot.Path;
        var models = new[] { "li2024-binary", "li2024-ternary", "nanda2023-fp" }.Select(name =>
        {
            var folder = Path.Combine(root, "models", name);
            using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(Path.Combine(folder, name + ".onnx"), name, TrainingRun.Load(folder)));
            return new ReportModel(ModelAnalyzer.Analyze(inputs.Inputs));
        }).ToList();
        using var dir = new TempDir();
        var files = ReportWriter.Write(dir.Path, models);

        var data = JsonDocument.Parse(Regex.Match(File.ReadAllText(files.IndexHtml), "<script id=\"report-data\" type=\"application/json\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value);
        foreach (var model in data.RootElement.GetProperty("models").EnumerateArray())
            foreach (var shown in model.GetProperty("neurons").GetProperty("shown").EnumerateArray())
            {
                var activation = shown.GetProperty("activation").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.IsTrue(activation.Max() > activation.Min(), $"{model.GetProperty("name")}: neuron {shown.GetProperty("neuron")} on a default panel is dead");
                Assert.AreNotEqual(JsonValueKind.Null, shown.GetProperty("bestFve").ValueKind);
            }

        var (dom, log) = HeadlessChromium.Run(browser, files.IndexHtml, TimeSpan.FromMinutes(5), "--dump-dom");
        Assert.AreEqual("true", Regex.Match(dom, "data-report-ready=\"([^\"]*)\"").Groups[1].Value, "the report script finished: " + Tail(log));
        Assert.AreEqual("", Regex.Match(dom, "data-plot-errors=\"([^\"]*)\"").Groups[1].Value);
        var plots = Regex.Matches(dom, "<div class=\"plot[^\"]*\" data-plot=\"([^\"]+)\" data-model=\"(\\d+)\"[^>]*data-color-scales=\"([^\"]+)\"");
        Assert.IsTrue(plots.Count >= 3 * 4, $"{plots.Count} heatmap plots carry their scales");
        foreach (Match plot in plots)
        {
            var (kind, scales) = (plot.Groups[1].Value, plot.Groups[3].Value);
            foreach (var scale in scales.Split(' '))
            {
                var parts = scale.Split(':');
                var z = parts[1].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                var values = parts[2].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                var where = $"{kind} of model {plot.Groups[2].Value} ({scale})";
                if (parts[0] == "sequential")
                {
                    Assert.AreEqual(values[0], z[0], 1e-9 * Math.Abs(values[0]) + 1e-12, $"{where}: the scale starts at the smallest value");
                    if (values[1] > values[0]) Assert.AreEqual(values[1], z[1], 1e-9 * Math.Abs(values[1]), $"{where}: the scale ends at the largest value");
                }
                else
                {
                    Assert.AreEqual(Math.Max(Math.Abs(values[0]), Math.Abs(values[1])), z[1], 1e-9 * z[1], $"{where}: the larger end is the largest magnitude");
                    Assert.AreEqual(-z[1], z[0], $"{where}: centred on 0");
                }
                if (kind is "neuron" or "neuronFourier" or "logitFourier" || (kind == "attention" && data.RootElement.GetProperty("models")[int.Parse(plot.Groups[2].Value, CultureInfo.InvariantCulture)].GetProperty("attention").GetProperty("quantity").GetString() == "pattern"))
                    Assert.AreEqual("sequential", parts[0], $"{where}: a quantity that is never negative");
            }
        }

        // The test's output folder (bin/.../screenshots), where they outlive the run.
        var output = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(output);
        var screenshot = Path.Combine(output, "report-p113.png");
        HeadlessChromium.Run(browser, files.IndexHtml, TimeSpan.FromMinutes(5), $"--screenshot={screenshot}", "--window-size=1400,7000", "--hide-scrollbars");
        Assert.IsTrue(File.Exists(screenshot), "the screenshot was written");
        TestContext.AddResultFile(screenshot);
        Console.WriteLine($"screenshot: {screenshot}");
    }

    private static string Tail(string s) => s.Length <= 2000 ? s : s[^2000..];
}
