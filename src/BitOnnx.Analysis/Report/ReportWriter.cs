using System.Text;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Core.Checkpoints;

namespace BitOnnx.Analysis.Report;

/// <summary>Files written for one report.</summary>
/// <param name="IndexHtml">Path of index.html.</param>
/// <param name="SummaryJson">Path of summary.json.</param>
/// <param name="CsvFiles">Paths of the CSV files.</param>
public sealed record ReportFiles(string IndexHtml, string SummaryJson, IReadOnlyList<string> CsvFiles);

/// <summary>
/// Writes a report folder: <c>index.html</c> (self-contained, interactive, opens offline), <c>summary.json</c>
/// (headline numbers per model) and <c>data/&lt;model&gt;/*.csv</c> (every plotted series). Each file is written via
/// a temporary file and a rename.
/// </summary>
public static class ReportWriter
{
    /// <summary>Colours of the models, in order (the heatmaps use a red-blue scale, so these stay distinct from it).</summary>
    public static readonly IReadOnlyList<string> ModelColors = ["#2f6db5", "#d0543f", "#2a9d8f", "#c9a227", "#7b5ea7", "#5b6770"];

    /// <summary>Writes the report of <paramref name="models"/> (shown side by side) into <paramref name="reportDir"/>.</summary>
    public static ReportFiles Write(string reportDir, IReadOnlyList<ReportModel> models, string title = "Binary, ternary and full-precision transformers on modular addition",
        ClockPizzaThresholds? thresholds = null, IProgress<AnalysisProgress>? progress = null)
    {
        if (models.Count == 0) throw new ArgumentException("A report needs at least one model.", nameof(models));
        thresholds ??= new ClockPizzaThresholds();
        Directory.CreateDirectory(reportDir);
        var slugs = Slugs(models.Select(m => m.Analysis.Name).ToArray());
        var colors = models.Select((_, i) => ModelColors[i % ModelColors.Count]).ToArray();

        var csv = new List<string>();
        for (int i = 0; i < models.Count; i++)
        {
            string dir = Path.Combine(reportDir, "data", slugs[i]);
            csv.AddRange(CsvTables.Write(dir, models[i]).Select(f => Path.Combine(dir, f)));
            progress?.Report(new AnalysisProgress("report: tables", (i + 1.0) / models.Count));
        }

        if (models.Any(m => m.Analysis.ClockPizza != null))
        {
            string clockPizza = Path.Combine(reportDir, "data", "clock_pizza.csv");
            AtomicFile.WriteText(clockPizza, CsvTables.ClockPizza(models));
            csv.Add(clockPizza);
        }

        string summaryPath = Path.Combine(reportDir, "summary.json");
        AtomicFile.WriteText(summaryPath, SummaryJson.Build(models, slugs, thresholds));

        string pageData = PageData.Build(title, models, slugs, colors, thresholds);
        string html = HtmlPage.Build(title, models, pageData, thresholds);
        string indexPath = Path.Combine(reportDir, "index.html");
        AtomicFile.WriteText(indexPath, html);
        progress?.Report(new AnalysisProgress("report: page", 1));
        return new ReportFiles(indexPath, summaryPath, csv);
    }

    /// <summary>File-system-safe, distinct folder names for the models.</summary>
    public static string[] Slugs(IReadOnlyList<string> names)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var result = new string[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            var sb = new StringBuilder();
            foreach (char c in names[i].ToLowerInvariant())
            {
                bool keep = char.IsAsciiLetterOrDigit(c) || c == '.' || c == '_';
                if (keep) sb.Append(c);
                else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
            }
            string slug = sb.ToString().Trim('-', '.');
            if (slug.Length == 0) slug = "model";
            string candidate = slug;
            for (int k = 2; !used.Add(candidate); k++) candidate = $"{slug}-{k}";
            result[i] = candidate;
        }
        return result;
    }
}
