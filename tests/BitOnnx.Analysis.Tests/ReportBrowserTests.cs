using System.Text.RegularExpressions;
using BitOnnx.Analysis.Report;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class ReportBrowserTests
{
    [TestMethod]
    [Timeout(300_000)]
    public void ReportPageRendersEveryPlotInHeadlessChromiumWithoutConsoleErrors()
    {
        var browser = HeadlessChromium.Find();
        if (browser is null)
        {
            Assert.Inconclusive($"No headless Chromium found (looked in {HeadlessChromium.SearchedPaths}). Install the Debian package " +
                                "`chromium` (tools/test.sh does when run as root) to check the report page in a browser.");
        }

        using var dir = new TempDir();
        var files = ReportWriter.Write(dir.Path, ReportFixture.Models());
        int expected = Regex.Matches(File.ReadAllText(files.IndexHtml), "data-plot=\"").Count;

        var (dom, log) = HeadlessChromium.Run(browser, files.IndexHtml, TimeSpan.FromMinutes(4), "--dump-dom");

        // Chromium logs every console message as INFO:CONSOLE without its level; the page and plotly.js log nothing
        // when all is well, so any console line (an uncaught error, a console.error) fails the test.
        var console = log.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(0, console.Length, "the page wrote to the console:\n" + string.Join("\n", console));

        string Attr(string name)
        {
            var m = Regex.Match(dom, $"<html[^>]*\\s{name}=\"([^\"]*)\"");
            return m.Success ? m.Groups[1].Value : throw new AssertFailedException($"<html> has no {name}: the report script did not finish.\n{Tail(log)}");
        }
        Assert.AreEqual("true", Attr("data-report-ready"));
        Assert.AreEqual("", Attr("data-plot-errors"));
        Assert.AreEqual(expected.ToString(), Attr("data-plots-expected"));
        Assert.AreEqual(expected.ToString(), Attr("data-plots-rendered"));
        Assert.AreEqual(expected, Regex.Matches(dom, "class=\"plot[^\"]*js-plotly-plot").Count, "each plot div holds a Plotly figure");
        Assert.IsTrue(Regex.Matches(dom, "class=\"hm\"|class=\"heatmaplayer|class=\"heatmap\"").Count > 0, "heatmaps were drawn");
    }

    private static string Tail(string s) => s.Length <= 2000 ? s : s[^2000..];
}
