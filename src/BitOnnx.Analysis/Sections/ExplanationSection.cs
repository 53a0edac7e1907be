using System.Text.Json;
using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.Explanations;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Interventions;
using BitOnnx.Core.Model;
using static BitOnnx.Analysis.Report.JsonWriting;

namespace BitOnnx.Analysis.Sections;

/// <summary>
/// Every neuron of the analysed MLP explained by a formula in the 2-D Fourier basis (<see cref="UnitExplainer"/>): a
/// gallery of the most varying neurons beside their simulations, how many are explained, dead or polysemantic, and the
/// MLP rewritten from the explanations alone against the model as it is and with its MLP zero-ablated
/// (<see cref="NeuronRewrite"/>, Paulo and Belrose 2025's rewrite at the level of neurons).
/// </summary>
[ReportOrder(30)]
public sealed class ExplanationSection : IReportSection
{
    /// <summary>Neurons in the gallery.</summary>
    public const int GalleryNeurons = 12;

    public string Id => "explanations";

    public string Title => "Neuron explanations";

    public string Caption =>
        "Each neuron's activation at the last position over all P² pairs, explained by a formula: the best degree-2 polynomial " +
        "in cos and sin of one frequency (Nanda et al. 2023's block), or a ReLU of one fitted as a whole, whichever explains more " +
        "of the variance (1 − SSE/SST); two frequencies when each carries at least 20% of the variance and no one-frequency fit " +
        "explains 90% (polysemantic); dead when it does not vary. The simulation is computed from the formula alone. The rewrite " +
        "replaces every neuron at the last position by its simulation, on ONNX Runtime, and scores it as SAELens scores a splice: " +
        "ce_loss_score = (L<sub>zero</sub> − L<sub>simulated</sub>) / (L<sub>zero</sub> − L<sub>clean</sub>), with the MLP's output " +
        "zero-ablated as L<sub>zero</sub> (Paulo and Belrose 2025). The CSV holds every neuron's formula.";

    public IReadOnlyList<string> Plots { get; } = ["explanationGallery", "explanationFractions", "explanationRewrite"];

    public SectionResult? Compute(SectionContext context, out string? skipped)
    {
        skipped = null;
        var probes = context.Model.Probes;
        var layer = context.Model.Layer;
        var hook = HookNames.MlpPost(layer);
        if (context.Model.NeuronsSkipped is { } why)
        {
            skipped = "not explained: " + why;
            return null;
        }
        if (!probes.Names.Contains(hook))
        {
            skipped = $"not explained: {hook} was not read (the neuron analyses were left out, or the model was exported without it: bitonnx export ... --probes all).";
            return null;
        }
        int p = probes.P;
        var post = probes.Get(hook);
        var activations = ProbeViews.PositionSlice(post, p, ProbeViews.EqualsPosition);
        var dMlp = ProbeViews.Width(post);
        var rewritable = context.Session is { } s && context.Config is { } c && layer == c.NLayers - 1 && s.WritableHooks.Contains(hook);
        var explanations = UnitExplainer.ExplainAll(p, activations, dMlp, progress: new InterventionReads.Part(context.Progress, 0, rewritable ? 0.7 : 1));
        var gallery = NeuronFourierAnalysis.MostVarying(activations, dMlp, GalleryNeurons)
            .Select(n => (Neuron: n, Map: Column(activations, dMlp, n), Simulated: explanations[n].Formula.Map())).ToArray();
        NeuronRewriteResult? rewrite = null;
        string? notRewritten = null;
        if (rewritable) rewrite = NeuronRewrite.Run(context.Session!, explanations, new InterventionReads.Part(context.Progress, 0.7, 0.3));
        else notRewritten = "not rewritten: the rewrite writes the last block's neurons, and this model was exported without writable hooks (bitonnx export ... --writable all) or its analysed layer is not the last.";
        return new Result(explanations, ExplanationSummary.Of(explanations), gallery, rewrite, notRewritten);
    }

    private static double[] Column(float[] activations, int width, int n)
    {
        var map = new double[activations.Length / width];
        for (var row = 0; row < map.Length; row++) map[row] = activations[row * width + n];
        return map;
    }

    public string Script => """
        BitOnnxReport.renderers.explanationGallery = function (div, m, data, r) {
          var g = data.gallery;
          if (!g.length) { r.header(div, m, 'neuron explanations', 'every neuron is dead'); return r.draw(div, [], r.layout('', '')); }
          var traces = [];
          g.forEach(function (n, i) {
            var hover = 'a %{y}, b %{x}<br>%{z:.4g}';
            var actual = r.heatmapTrace(n.map, m.p, { zTitle: '', hover: 'neuron ' + n.neuron + ', ' + hover, visible: i === 0 });
            var simulated = r.heatmapTrace(n.simulated, m.p, { zTitle: '', hover: 'simulated ' + n.neuron + ', ' + hover, visible: i === 0 });
            actual.colorbar.x = 0.455; actual.colorbar.len = 0.8;
            simulated.xaxis = 'x2'; simulated.yaxis = 'y2'; simulated.colorbar.len = 0.8;
            traces.push(actual, simulated);
          });
          function title(i) {
            var n = g[i];
            return r.escapeHtml(n.sentence) + '<span class="sub">left: the neuron; right: its simulation from the formula alone \u00B7 ' +
              (n.neuron === undefined ? '' : 'neuron ' + n.neuron + ', ' + (i + 1) + ' of the ' + g.length + ' most varying') + '</span>';
          }
          r.header(div, m, title(0));
          var lay = r.layout('', '', { height: 430, margin: { l: 56, r: 16, t: 48, b: 56 } });
          lay.xaxis = r.axis('b', { domain: [0, 0.42], showgrid: false, ticks: '' });
          lay.yaxis = r.axis('a', { autorange: 'reversed', showgrid: false, ticks: '', scaleanchor: 'x' });
          lay.xaxis2 = r.axis('b', { domain: [0.55, 0.97], showgrid: false, ticks: '', anchor: 'y2' });
          lay.yaxis2 = r.axis('', { autorange: 'reversed', showgrid: false, ticks: '', anchor: 'x2', scaleanchor: 'x2' });
          lay.updatemenus = [{
            type: 'dropdown', direction: 'down', showactive: true, x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom', font: { size: 11 },
            buttons: g.map(function (n, i) {
              return { label: 'neuron ' + n.neuron + ' (' + (n.frequency ? 'f ' + n.frequency + ', ' : '') + (100 * n.fraction).toFixed(0) + '%)', method: 'restyle',
                args: ['visible', traces.map(function (_, j) { return Math.floor(j / 2) === i; })] };
            })
          }];
          return r.draw(div, traces, lay).then(function () {
            div.on('plotly_buttonclicked', function (e) { r.header(div, m, title(e.active)); });
          });
        };

        BitOnnxReport.renderers.explanationFractions = function (div, m, data, r) {
          var s = data.summary, h = data.histogram;
          var x = h.counts.map(function (_, i) { return h.min + (i + 0.5) * (h.max - h.min) / h.counts.length; });
          r.header(div, m, 'fraction of each neuron\u2019s variance its formula explains',
            s.units + ' neurons \u00B7 ' + (100 * s.shareExplained).toFixed(0) + '% of the live ones explained \u2265 ' + s.threshold +
            ' \u00B7 median ' + (s.median === null ? '\u2013' : s.median.toFixed(3)) + ' \u00B7 ' + s.dead + ' dead \u00B7 ' + s.polysemantic +
            ' polysemantic \u00B7 ' + s.reluFourier + ' ReLU, ' + s.fourier + ' polynomial');
          var lay = r.layout('fraction explained (1 \u2212 SSE/SST)', 'neurons', { bargap: 0.05 });
          lay.xaxis.range = [h.min, h.max];
          lay.shapes = [{ type: 'line', xref: 'x', yref: 'paper', x0: s.threshold, x1: s.threshold, y0: 0, y1: 1, line: { color: r.colors.muted, width: 1, dash: 'dot' } }];
          return r.draw(div, [{ type: 'bar', x: x, y: h.counts, width: (h.max - h.min) / h.counts.length * 0.9, marker: { color: m.color },
            hovertemplate: '%{x:.2f}: %{y} neurons<extra></extra>' }], lay);
        };

        BitOnnxReport.renderers.explanationRewrite = function (div, m, data, r) {
          var rows = data.rewrite;
          if (!rows) { r.header(div, m, 'the MLP rewritten from explanations', r.escapeHtml(data.notRewritten)); return r.draw(div, [], r.layout('', '')); }
          r.header(div, m, 'the MLP rewritten from explanations: loss over all P\u00B2 pairs',
            'ce_loss_score ' + data.ceLossScore.toFixed(3) + ' \u00B7 accuracy ' + rows.map(function (x) { return x.name + ' ' + (100 * x.accuracy).toFixed(1) + '%'; }).join(', '));
          var lay = r.layout('', 'cross-entropy (log scale)', { bargap: 0.4 });
          lay.yaxis.type = 'log';
          lay.yaxis.exponentformat = 'power';
          return r.draw(div, [{ type: 'bar', x: rows.map(function (x) { return x.name; }), y: rows.map(function (x) { return x.loss; }),
            customdata: rows.map(function (x) { return 100 * x.accuracy; }), marker: { color: [r.colors.plain, m.color, r.colors.muted] },
            hovertemplate: '%{x}<br>loss %{y:.4g}<br>accuracy %{customdata:.1f}%<extra></extra>' }], lay);
        };
        """;

    private sealed class Result(UnitExplanation[] explanations, ExplanationSummary summary,
        (int Neuron, double[] Map, double[] Simulated)[] gallery, NeuronRewriteResult? rewrite, string? notRewritten) : SectionResult
    {
        public override void WriteSummary(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteNumber("neurons", summary.Units);
            w.WriteNumber("dead", summary.Dead);
            w.WriteNumber("polysemantic", summary.Polysemantic);
            w.WriteNumber("fourier", summary.Fourier);
            w.WriteNumber("relu_fourier", summary.ReluFourier);
            Number(w, "median_fraction_explained", summary.MedianFractionExplained);
            Number(w, "share_explained", summary.ShareExplained);
            Number(w, "explained_threshold", summary.Threshold);
            if (rewrite is not null)
            {
                w.WriteStartObject("rewrite");
                foreach (var row in rewrite.Rows)
                {
                    w.WriteStartObject(row.Name);
                    Number(w, "loss", row.Loss);
                    Number(w, "accuracy", row.Accuracy);
                    w.WriteEndObject();
                }
                Number(w, "ce_loss_score", rewrite.CeLossScore);
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("rewrite_skipped", notRewritten);
            }
            w.WriteEndObject();
        }

        public override void WritePageData(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteStartArray("gallery");
            foreach (var (neuron, map, simulated) in gallery)
            {
                var e = explanations[neuron];
                w.WriteStartObject();
                w.WriteNumber("neuron", neuron);
                w.WriteNumber("frequency", e.Frequency);
                Number(w, "fraction", e.FractionExplained, 4);
                w.WriteString("sentence", e.Sentence);
                Array(w, "map", map, 4);
                Array(w, "simulated", simulated, 4);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("summary");
            w.WriteNumber("units", summary.Units);
            w.WriteNumber("dead", summary.Dead);
            w.WriteNumber("polysemantic", summary.Polysemantic);
            w.WriteNumber("fourier", summary.Fourier);
            w.WriteNumber("reluFourier", summary.ReluFourier);
            Number(w, "median", summary.MedianFractionExplained, 5);
            Number(w, "shareExplained", summary.ShareExplained, 5);
            Number(w, "threshold", summary.Threshold);
            w.WriteEndObject();
            var histogram = Histogram.Of(explanations.Where(e => e.Kind != ExplanationKind.Dead).Select(e => e.FractionExplained), 0, 1, 50);
            w.WriteStartObject("histogram");
            Number(w, "min", histogram.Min);
            Number(w, "max", histogram.Max);
            Array(w, "counts", histogram.Counts);
            w.WriteEndObject();
            if (rewrite is not null)
            {
                w.WriteStartArray("rewrite");
                foreach (var row in rewrite.Rows)
                {
                    w.WriteStartObject();
                    w.WriteString("name", row.Name);
                    Number(w, "loss", row.Loss, 5);
                    Number(w, "accuracy", row.Accuracy, 5);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                Number(w, "ceLossScore", rewrite.CeLossScore, 5);
            }
            else
            {
                w.WriteString("notRewritten", notRewritten);
            }
            w.WriteEndObject();
        }

        public override IEnumerable<(string File, string Text)> Tables()
        {
            yield return ("neurons.csv", ExplanationCsv.Format(explanations));
            if (rewrite is not null) yield return ("rewrite.csv", rewrite.Csv());
        }
    }
}
