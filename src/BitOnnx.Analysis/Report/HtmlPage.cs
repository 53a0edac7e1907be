using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using BitOnnx.Analysis.ClockPizza;

namespace BitOnnx.Analysis.Report;

/// <summary>
/// The self-contained report page: static HTML for the text and the summary table, a div per plot that
/// report.js fills from the embedded data, and plotly.js inlined so the page opens offline.
/// </summary>
internal static partial class HtmlPage
{
    public static string Build(string title, IReadOnlyList<ReportModel> models, string pageDataJson, Analysis.ClockPizza.ClockPizzaThresholds thresholds)
    {
        var sb = new StringBuilder();
        int cols = Math.Min(models.Count, 3);
        string Grid(string plot, Func<ReportModel, bool> has)
        {
            var g = new StringBuilder($"<div class=\"grid\" style=\"--cols:{cols}\">");
            for (int i = 0; i < models.Count; i++)
            {
                if (!has(models[i])) continue;
                g.Append($"<figure class=\"card\"><div class=\"plot\" data-plot=\"{plot}\" data-model=\"{i}\"></div></figure>");
            }
            return g.Append("</div>").ToString();
        }
        bool Any(Func<ReportModel, bool> has) => models.Any(has);
        int p = models.Count > 0 ? models[0].Analysis.P : 0;

        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append($"<title>{H(title)}</title>\n<style>\n{ReportAssets.Style}\n</style>\n</head>\n<body>\n");

        sb.Append("<header class=\"hero\"><div class=\"hero-inner\">")
          .Append("<div class=\"eyebrow\">BitOnnx · mechanistic interpretability report</div>")
          .Append($"<h1>{H(title)}</h1>")
          .Append($"<p class=\"lede\">Modular addition <span class=\"mono\">(a + b) mod {p}</span>: inputs <span class=\"mono\">[a, b, =]</span>, ")
          .Append("answer read at <span class=\"mono\">=</span>. Analyses follow Li 2024 (binary and ternary transformers), Nanda et al. 2023 (progress measures) ")
          .Append("and Zhong et al. 2023 (clock or pizza), computed from the models' ONNX probe outputs.</p>")
          .Append("<div class=\"chips\">");
        for (int i = 0; i < models.Count; i++)
        {
            var a = models[i].Analysis;
            string verdict = a.ClockPizza?.Verdict.Name() ?? "";
            sb.Append($"<span class=\"chip\" data-model=\"{i}\"><span class=\"dot\"></span>{H(a.Name)}");
            if (verdict.Length > 0) sb.Append($"<span class=\"verdict verdict-{verdict}\">{verdict}</span>");
            sb.Append("</span>");
        }
        sb.Append("</div></div></header>\n<main>\n");

        sb.Append("<nav class=\"toc\"><a href=\"#summary\">Summary</a>");
        if (Any(m => m.LossCurves != null)) sb.Append("<a href=\"#training\">Training</a>");
        if (Any(m => m.Analysis.Embedding != null)) sb.Append("<a href=\"#embedding\">Embedding</a>");
        if (Any(m => m.Analysis.Attention != null || m.Analysis.Neurons != null)) sb.Append("<a href=\"#maps\">Attention &amp; neurons</a>");
        if (Any(m => m.Analysis.Logits != null)) sb.Append("<a href=\"#logits\">Logits</a>");
        if (Any(m => m.Analysis.Neurons != null)) sb.Append("<a href=\"#fve\">FVE</a>");
        if (Any(m => m.Progress != null)) sb.Append("<a href=\"#progress\">Progress measures</a>");
        if (Any(m => m.Analysis.ClockPizza != null)) sb.Append("<a href=\"#clockpizza\">Clock or pizza</a>");
        foreach (var section in ReportSectionsIn(models)) sb.Append($"<a href=\"#{section.Id}\">{H(section.Title)}</a>");
        sb.Append("<a href=\"#methods\">Methods</a></nav>\n");

        sb.Append("<section id=\"summary\"><h2>Summary</h2>").Append(LearningNotes(models)).Append(SummaryTable(models)).Append("</section>\n");

        if (Any(m => m.LossCurves != null))
        {
            Section(sb, "training", "1 · Training curves",
                "Train and test loss over epochs (log scale). Shaded: Nanda et al.'s phases, memorisation, circuit formation and cleanup, " +
                "estimated from the curves (boundaries at the test-loss peak, at half that peak, and at 99% test accuracy).",
                Grid("loss", m => m.LossCurves != null));
        }
        if (Any(m => m.Analysis.Embedding != null))
        {
            Section(sb, "embedding", "2 · Fourier components of the embedding",
                "Norm of the Fourier components of W<sub>E</sub>[:P] per frequency, √(‖cos row‖² + ‖sin row‖²) of F·W<sub>E</sub> (each part in the hover). " +
                "Key frequencies (red, with the threshold dotted on the same quantity) stand out of the noise floor: 6 robust standard deviations above the median " +
                "frequency norm and at least 20% of the largest; triangles mark the key frequencies found from neuron clusters. " +
                "Li 2024 fig. 2, Nanda et al. 2023 fig. 3.",
                Grid("embedding", m => m.Analysis.Embedding != null));
        }
        if (Any(m => m.Analysis.Attention != null || m.Analysis.Neurons != null))
        {
            var body = new StringBuilder();
            foreach (var m in models.Where(m => m.Analysis.NeuronsSkipped is not null))
                body.Append($"<p class=\"note\"><strong>{H(m.Analysis.Name)}</strong>: no neuron maps or FVE: {H(m.Analysis.NeuronsSkipped!)}</p>");
            if (Any(m => m.Analysis.Attention != null)) body.Append(Grid("attention", m => m.Analysis.Attention != null));
            if (Any(m => m.Analysis.Neurons != null))
            {
                body.Append(Grid("neuron", m => m.Analysis.Neurons != null));
                body.Append(Grid("neuronFourier", m => m.Analysis.Neurons != null));
            }
            Section(sb, "maps", "3 · Attention and neuron activations over (a, b)",
                "Attention of each head from <span class=\"mono\">=</span> to <span class=\"mono\">a</span>, and MLP neuron activations at " +
                "<span class=\"mono\">=</span>, as functions of the inputs; below, the norms of a neuron's 2-D Fourier components " +
                "(Â = F·A·Fᵀ, Â[0,0] = 0). The neurons shown are those whose activation varies most (or those asked for with --neurons); use the menus to switch head or neuron. Quantities that are never negative (patterns, activations, norms) use a sequential scale over their own range; signed ones a diverging scale centred on 0. Li 2024 fig. 3.", body.ToString());
        }
        if (Any(m => m.Analysis.Logits != null))
        {
            Section(sb, "logits", "4 · Fourier components of the logits",
                "√(Σ<sub>c</sub> Â<sub>c</sub>[x, y]²), the norm over outputs c of each 2-D Fourier component of the logits (mean removed). " +
                "A clock concentrates them on a few cos/sin pairs of the key frequencies. Li 2024 fig. 3 (bottom).",
                Grid("logitFourier", m => m.Analysis.Logits != null));
        }
        if (Any(m => m.Analysis.Neurons != null))
        {
            Section(sb, "fve", "5 · Neurons explained by a single frequency",
                "For each neuron, the fraction of the variance of its (a, b) map explained by degree-2 polynomials of one frequency " +
                "(Σ Â[x, y]² over x, y ∈ {const, cos f, sin f}, over the total), at its best frequency; below, neurons clustered by that " +
                "frequency (best FVE ≥ 0.5). Li 2024 figs. 5–6.",
                Grid("fve", m => m.Analysis.Neurons != null) + Grid("clusters", m => m.Analysis.Neurons != null));
        }
        if (Any(m => m.Progress != null))
        {
            Section(sb, "progress", "6 · Progress measures over training",
                "Nanda et al. 2023 §5: restricted loss (logits restricted to the key frequencies' cos/sin(w(a+b)) components, all inputs), " +
                "excluded loss (those components removed, training inputs), Gini coefficients of the Fourier norms of W<sub>E</sub> and of " +
                "W<sub>L</sub> = W<sub>out</sub>·W<sub>U</sub>, and the total sum of squared weights.",
                Grid("progressLoss", m => m.Progress != null) + Grid("progressWeights", m => m.Progress != null));
        }
        if (Any(m => m.Analysis.ClockPizza != null))
        {
            Section(sb, "clockpizza", "7 · Clock or pizza?",
                $"Zhong et al. 2023: distance irrelevance q (how little the correct logit depends on a−b; clock ≈ 1, pizza ≈ 0; pizza-like at q ≤ {F(thresholds.PizzaMaxDistanceIrrelevance)}) " +
                $"and gradient symmetricity s<sub>g</sub> (cosine between the gradients of a logit with respect to the two input embeddings; pizza ≈ 1; " +
                $"pizza-like at s<sub>g</sub> ≥ {F(thresholds.PizzaMinGradientSymmetricity)}). Heatmaps: the correct logit over (a+b, a−b).",
                Grid("correctLogits", m => m.Analysis.ClockPizza?.DistanceIrrelevance != null) +
                "<div class=\"grid-split\"><figure class=\"card\"><div class=\"plot\" data-plot=\"clockPizza\" data-model=\"-1\"></div></figure>" +
                "<div class=\"verdict-card\"><h3>Verdicts</h3>" + Verdicts(models) + "</div></div>");
        }
        foreach (var section in ReportSectionsIn(models))
        {
            sb.Append($"<section id=\"{section.Id}\"><h2>{H(section.Title)}</h2><p class=\"caption\">{section.Caption}</p>");
            foreach (var note in models.Select(m => (m.Analysis.Name, m.Analysis.Sections.First(o => o.Section == section).Skipped)).Where(n => n.Skipped is not null))
                sb.Append($"<p class=\"note\"><strong>{H(note.Name)}</strong>: {H(note.Skipped!)}</p>");
            foreach (var plot in section.Plots)
            {
                var g = new StringBuilder($"<div class=\"grid\" style=\"--cols:{cols}\">");
                for (int i = 0; i < models.Count; i++)
                    if (models[i].Analysis.Sections.Any(o => o.Section == section && o.Result is not null))
                        g.Append($"<figure class=\"card\"><div class=\"plot\" data-plot=\"{plot}\" data-section=\"{section.Id}\" data-model=\"{i}\"></div></figure>");
                sb.Append(g.Append("</div>"));
            }
            sb.Append("</section>\n");
        }
        sb.Append(Methods());
        sb.Append("</main>\n<footer>Generated by BitOnnx.Analysis · plots by plotly.js (inlined; the page works offline)</footer>\n");
        sb.Append("<div id=\"report-status\" hidden></div>\n");
        sb.Append("<script>\n").Append(EscapeScript(ReportAssets.Plotly)).Append("\n</script>\n");
        sb.Append("<script id=\"report-data\" type=\"application/json\">").Append(pageDataJson).Append("</script>\n");
        sb.Append("<script>\n").Append(EscapeScript(ReportAssets.Script)).Append("\n</script>\n");
        foreach (var section in ReportSectionsIn(models)) sb.Append("<script>\n").Append(EscapeScript(section.Script)).Append("\n</script>\n");
        sb.Append("<script>BitOnnxReport.renderAll();</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string id, string title, string caption, string body) =>
        sb.Append($"<section id=\"{id}\"><h2>{title}</h2><p class=\"caption\">{caption}</p>{body}</section>\n");

    private static string SummaryTable(IReadOnlyList<ReportModel> models)
    {
        bool runs = models.Any(m => m.Analysis.Run != null);
        var sb = new StringBuilder("<div class=\"table-wrap\"><table class=\"summary\"><thead><tr><th>Model</th>");
        if (runs) sb.Append("<th>Run</th>");
        sb.Append("<th>Train / test loss</th><th>Test acc.</th><th>Key freq. (embedding)</th><th>Key freq. (neurons)</th>")
          .Append("<th>Median FVE</th><th>FVE ≥ 0.85</th><th>Restricted / excluded loss</th><th>s<sub>g</sub></th><th>q</th><th>Verdict</th></tr></thead><tbody>");
        for (int i = 0; i < models.Count; i++)
        {
            var m = models[i];
            var a = m.Analysis;
            string loss = a.Logits?.Loss is { TrainLoss: { } tr, TestLoss: { } te } ? $"{E(tr)} / {E(te)}"
                : a.Logits is { } l ? $"{E(l.Loss.AllLoss)} <span class=\"note\">(all pairs)</span>" : "—";
            string acc = a.Logits?.Loss is { } ls ? Pct(ls.TestAccuracy ?? ls.AllAccuracy) : "—";
            string prog = m.Progress is { Epochs.Length: > 0 } s ? $"{E(s.RestrictedLoss[^1])} / {E(s.ExcludedLoss[^1])}" : "—";
            string verdict = a.ClockPizza?.Verdict.Name() ?? "";
            sb.Append($"<tr><td class=\"name\"><span class=\"swatch\" data-model=\"{i}\"></span>{H(a.Name)}</td>");
            if (runs)
            {
                sb.Append(a.Run is { } r ? $"<td>{H(r.Config.Preset)} · {H(r.Config.Quant)} · seed {r.Config.Seed}</td>" : "<td>—</td>");
            }
            sb.Append($"<td class=\"num\">{loss}</td><td class=\"num\">{acc}</td>")
              .Append($"<td class=\"mono\">{Freqs(a, a.EmbeddingKeyFrequencies, a.Embedding != null)}</td>")
              .Append($"<td class=\"mono\">{Freqs(a, a.NeuronKeyFrequencies, a.Neurons != null)}</td>")
              .Append($"<td class=\"num\">{(a.Neurons is { } n ? F(n.Stats.Median) : "—")}</td>")
              .Append($"<td class=\"num\">{(a.Neurons is { } n2 ? Pct(n2.Stats.FractionAbove085) : "—")}</td>")
              .Append($"<td class=\"num\">{prog}</td>")
              .Append($"<td class=\"num\">{(a.ClockPizza?.GradientSymmetricity is { } g ? F(g.Value) : "—")}</td>")
              .Append($"<td class=\"num\">{(a.ClockPizza?.DistanceIrrelevance is { } q ? F(q.Value) : "—")}</td>")
              .Append($"<td>{(verdict.Length > 0 ? $"<span class=\"verdict verdict-{verdict}\">{verdict}</span>" : "—")}</td></tr>");
        }
        return sb.Append("</tbody></table></div>").ToString();
    }

    private static string Verdicts(IReadOnlyList<ReportModel> models)
    {
        var sb = new StringBuilder("<ul class=\"verdicts\">");
        foreach (var m in models)
        {
            if (m.Analysis.ClockPizza is not { } cp) continue;
            string v = cp.Verdict.Name();
            string how = cp.GradientSymmetricity is { } g
                ? $" <span class=\"note\">Gradients by central differences (step h = {G(g.Step)}, {G(g.RelativeStep)} × the RMS of the number-token embeddings) through {H(g.Method)}.</span>"
                : "";
            sb.Append($"<li><span class=\"verdict verdict-{v}\">{v}</span> <strong>{H(m.Analysis.Name)}</strong>: {H(cp.Reason)}{how}</li>");
        }
        return sb.Append("</ul>").ToString();
    }

    private static string Methods() =>
        "<section id=\"methods\"><h2>Methods</h2><div class=\"methods\">" +
        "<p><strong>Fourier basis.</strong> F has exactly P rows over x = 0..P−1: the constant, then cos(2πfx/P) and sin(2πfx/P) for " +
        "f = 1..(P−1)/2, each L2-normalised (for even P the Nyquist frequency adds one cosine row). It is orthonormal, so norms of " +
        "components add up to the norm of the signal.</p>" +
        "<p><strong>Key frequencies.</strong> Two methods: (1) the embedding's per-frequency Fourier norm clears the noise floor; " +
        "(2) Nanda et al.'s per-neuron method: neurons are clustered by the frequency whose degree-2 polynomials explain most of their " +
        "variance, and a frequency is key when at least 2% of the neurons cluster there.</p>" +
        "<p><strong>Progress measures</strong> (Nanda et al. 2023, arXiv 2301.05217, §5.1). Restricted loss keeps, for each output c, only " +
        "the logits' components along cos(w<sub>k</sub>(a+b)) and sin(w<sub>k</sub>(a+b)) for key frequencies k (plus each output's mean) " +
        "and is measured on all inputs; excluded loss removes those components and is measured on the training inputs. The Gini " +
        "coefficients (0: flat, 1: one component) are taken over the P Fourier-component norms of W<sub>E</sub>[:P] and of " +
        "W<sub>L</sub>·Fᵀ; the weight norm sums the squares of every weight (for binary and ternary checkpoints the latent, trained weights, which weight decay acts on).</p>" +
        "<p><strong>Clock or pizza</strong> (Zhong et al. 2023, arXiv 2306.17844, Defs. 4.1–4.2). Gradient symmetricity averages, over 100 " +
        "random (a, b, c), the cosine between ∂Q<sub>abc</sub>/∂E<sub>a</sub> and ∂Q<sub>abc</sub>/∂E<sub>b</sub> (central differences " +
        "through the model as a function of its token embeddings: an ONNX graph whose input is the embedded sequence, by surgery on " +
        "the exported model or an embedded-input export; the verdicts in section 7 name the graph, its precision and the step). Distance irrelevance is the mean over d of the std of the correct logit over " +
        "inputs with a−b ≡ d, over its std over all inputs. The cut points are ours, from the paper's exemplars and released run table.</p>" +
        "<p>Every plotted series is also in <span class=\"mono\">data/&lt;model&gt;/*.csv</span>; headline numbers in " +
        "<span class=\"mono\">summary.json</span>.</p></div></section>\n";

    /// <summary>The sections that have a result for at least one model, in report order.</summary>
    private static IEnumerable<Sections.IReportSection> ReportSectionsIn(IReadOnlyList<ReportModel> models) =>
        Sections.ReportSections.All.Where(s => models.Any(m => m.Analysis.Sections.Any(o => o.Section == s && o.Result is not null)));

    private static string Freqs(ModelAnalysis a, int[] f, bool analysed) =>
        !analysed ? "—" : !a.Learning.AllowsClaims ? "not claimed" : f.Length == 0 ? "none" : string.Join(", ", f);

    /// <summary>A line per model that has not (or only partly) learned the task, said before any of its numbers.</summary>
    private static string LearningNotes(IReadOnlyList<ReportModel> models)
    {
        var sb = new StringBuilder();
        foreach (var a in models.Select(m => m.Analysis).Where(a => a.Learning.Status != Analyses.LearningStatus.Learned))
        {
            var what = a.Learning.AllowsClaims
                ? "has only partly learned the task: its verdict and key frequencies are marked borderline"
                : "has not learned the task: no algorithm verdict and no key frequencies are claimed for it";
            sb.Append($"<p class=\"warning\"><strong>{H(a.Name)}</strong> {what} ({H(a.Learning.Evidence)}).</p>");
        }
        return sb.ToString();
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string F(double v) => double.IsNaN(v) ? "—" : v.ToString("0.000", CultureInfo.InvariantCulture);

    private static string E(double v) => double.IsNaN(v) ? "—" : v.ToString(Math.Abs(v) >= 0.01 && Math.Abs(v) < 1000 ? "0.000" : "0.00e0", CultureInfo.InvariantCulture);

    private static string G(double v) => double.IsNaN(v) ? "—" : v.ToString("G3", CultureInfo.InvariantCulture);

    private static string Pct(double v) => double.IsNaN(v) ? "—" : (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    // An inline script ends at the first "</script": keep any such text inside the library from closing the tag early.
    private static string EscapeScript(string js) => ScriptClose().Replace(js, "<\\/script");

    [GeneratedRegex("</script", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptClose();
}
