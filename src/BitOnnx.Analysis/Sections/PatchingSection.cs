using System.Globalization;
using System.Text.Json;
using BitOnnx.Analysis.Interventions;
using static BitOnnx.Analysis.Report.JsonWriting;

namespace BitOnnx.Analysis.Sections;

/// <summary>
/// Activation patching over all P² pairs, each against a partner with another answer (<see cref="PartnerRule.Random"/>):
/// where the model computes the answer (head × position, and the residual stream, attention and MLP outputs by position),
/// and how far attribution patching's one-backward estimate agrees with it.
/// </summary>
[ReportOrder(20)]
public sealed class PatchingSection : IReportSection
{
    public string Id => "patching";

    public string Title => "Activation patching";

    public string Caption =>
        "Every pair (a, b) runs as a corrupted pair with another answer (drawn, seed 0), with one node's activation taken from the " +
        "clean run; the colour is the fraction of the logit difference logit[clean answer] − logit[corrupted answer] it restores " +
        "(1: all of it, as TransformerLens' patching tables normalise). Exact, on ONNX Runtime. The scatter sets each node's exact " +
        "effect against attribution patching's estimate (H<sub>clean</sub> − H<sub>corrupt</sub>)·∂metric/∂H from one backward pass " +
        "(the engine on the model's folded weights); off the diagonal, the model is not linear in that node. " +
        "<span class=\"mono\">bitonnx patch</span> gives the same table.";

    public IReadOnlyList<string> Plots { get; } = ["patchingHeads", "patchingStreams", "patchingAttribution"];

    public SectionResult? Compute(SectionContext context, out string? skipped)
    {
        skipped = null;
        if (context.Session is not { } session || context.Config is not { } config)
        {
            skipped = "not patched: the model was exported without writable hooks (bitonnx export ... --writable all).";
            return null;
        }
        var pairs = PatchingPairs.All(config.P, PartnerRule.Random);
        // A spliced model's neurons feed nothing (ModelInputs.NeuronsSkipped): every other node is patched.
        var targets = Enum.GetValues<PatchingTarget>().Where(t => context.Model.Splice is null || t != PatchingTarget.Neurons).ToArray();
        var table = ActivationPatching.Run(session, pairs, PatchingMetric.LogitDifference, targets,
            name => context.Weight(name) ?? throw new AnalysisInputException($"Model '{context.Model.Name}' holds no weight '{name}'."),
            context.Model.HookGradients, context.Progress);
        return new Result(table, config.NLayers, config.NHeads, config.NCtx);
    }

    public string Script => """
        (function () {
          var POSITIONS = ['a', 'b', '='];
          function positionNames(n) { return POSITIONS.length === n ? POSITIONS : Array.from({ length: n }, function (_, i) { return 'pos ' + i; }); }
          function restoredHeatmap(r, z, x, y, hover) {
            var flat = [].concat.apply([], z).filter(function (v) { return v !== null; });
            var m = Math.max.apply(null, flat.map(Math.abs)) || 1;
            var lo = Math.min.apply(null, flat), hi = Math.max.apply(null, flat);
            return { type: 'heatmap', z: z, x: x, y: y, zmin: -m, zmax: m, zmid: 0, colorscale: r.colors.diverging,
              colorbar: { thickness: 11, len: 0.86, outlinewidth: 0, tickformat: '.0%', tickfont: { size: 10 } },
              texttemplate: '%{z:.0%}', hovertemplate: hover + '<extra></extra>', meta: { signed: true, zRange: [-m, m], dataRange: [lo, hi] } };
          }

          BitOnnxReport.renderers.patchingHeads = function (div, m, data, r) {
            var x = positionNames(data.positions);
            var z = [], y = [];
            for (var l = 0; l < data.layers; l++)
              for (var h = 0; h < data.heads; h++) {
                y.push((data.layers > 1 ? 'L' + l + ' ' : '') + 'head ' + h);
                z.push(data.z.slice((l * data.heads + h) * data.positions, (l * data.heads + h + 1) * data.positions));
              }
            r.header(div, m, 'patching each head\u2019s output z, by position', 'fraction of the logit difference restored');
            var lay = r.layout('position', '', { height: Math.max(220, 46 * y.length + 110), margin: { l: 90, r: 20, t: 28, b: 56 } });
            lay.yaxis = r.axis('', { autorange: 'reversed', type: 'category' });
            lay.xaxis = r.axis('position', { type: 'category' });
            return r.draw(div, [restoredHeatmap(r, z, x, y, '%{y}, position %{x}<br>restored %{z:.1%}')], lay);
          };

          BitOnnxReport.renderers.patchingStreams = function (div, m, data, r) {
            var x = positionNames(data.positions);
            var y = data.streams.map(function (s) { return s.name; });
            var z = data.streams.map(function (s) { return s.restored; });
            r.header(div, m, 'patching the residual stream and each block\u2019s outputs, by position', 'fraction of the logit difference restored');
            var lay = r.layout('position', '', { height: Math.max(220, 46 * y.length + 110), margin: { l: 170, r: 20, t: 28, b: 56 } });
            lay.yaxis = r.axis('', { autorange: 'reversed', type: 'category' });
            lay.xaxis = r.axis('position', { type: 'category' });
            return r.draw(div, [restoredHeatmap(r, z, x, y, '%{y}, position %{x}<br>restored %{z:.1%}')], lay);
          };

          BitOnnxReport.renderers.patchingAttribution = function (div, m, data, r) {
            var a = data.attribution;
            if (!a) {
              r.header(div, m, 'attribution patching', 'no estimates: no backward pass was available for this model');
              return r.draw(div, [{ type: 'scatter', mode: 'markers', x: [], y: [] }], r.layout('exact effect', 'attribution estimate'));
            }
            var groups = {};
            a.nodes.forEach(function (n, i) { (groups[a.kind[i]] = groups[a.kind[i]] || []).push(i); });
            var palette = { resid_pre: '#3d405b', attn_out: '#d0543f', mlp_out: '#2a9d8f', z: '#2f6db5', neurons: '#b8c2cc' };
            var traces = Object.keys(groups).map(function (k) {
              var idx = groups[k];
              return { type: 'scatter', mode: 'markers', name: k, x: idx.map(function (i) { return a.effect[i]; }), y: idx.map(function (i) { return a.estimate[i]; }),
                text: idx.map(function (i) { return a.nodes[i]; }), marker: { size: k === 'neurons' ? 5 : 8, color: palette[k] || '#888' },
                hovertemplate: '%{text}<br>exact %{x:.4g}<br>estimate %{y:.4g}<extra></extra>' };
            });
            var all = a.effect.concat(a.estimate);
            var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
            traces.push({ type: 'scatter', mode: 'lines', x: [lo, hi], y: [lo, hi], line: { color: '#999', dash: 'dot', width: 1 }, hoverinfo: 'skip', showlegend: false });
            r.header(div, m, 'attribution patching against exact patching', 'Pearson r = ' + (a.correlation === null ? '-' : a.correlation.toFixed(3)) + ' over ' + a.nodes.length + ' nodes');
            return r.draw(div, traces, r.layout('exact effect on the logit difference', 'attribution estimate'));
          };
        })();
        """;

    private sealed class Result(PatchingResult table, int layers, int heads, int positions) : SectionResult
    {
        private static string Kind(PatchingTarget target) => target switch
        {
            PatchingTarget.ResidPre => "resid_pre",
            PatchingTarget.AttnOut => "attn_out",
            PatchingTarget.MlpOut => "mlp_out",
            PatchingTarget.Z => "z",
            _ => "neurons",
        };

        private double Restored(PatchingTarget target, int layer, int position, int? head = null) =>
            table.Rows.First(r => r.Node.Target == target && r.Node.Layer == layer && r.Node.Index.Position == position && r.Node.Index.Head == head).Restored;

        public override void WriteSummary(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("metric", table.MetricName);
            w.WriteString("pairs", table.Pairs.Rule);
            Number(w, "clean", table.Clean);
            Number(w, "corrupted", table.Corrupt);
            if (table.AttributionBy is not null) w.WriteString("attribution_by", table.AttributionBy);
            if (table.Correlation is { } r) Number(w, "attribution_correlation", r);
            w.WriteStartArray("largest");
            foreach (var row in table.Rows.Take(10))
            {
                w.WriteStartObject();
                w.WriteString("component", row.Node.Component);
                Number(w, "restored", row.Restored);
                if (row.Attribution is { } a) Number(w, "attribution", a);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }

        public override void WritePageData(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteNumber("layers", layers);
            w.WriteNumber("heads", heads);
            w.WriteNumber("positions", positions);
            var z = new List<double>();
            for (var l = 0; l < layers; l++)
                for (var h = 0; h < heads; h++)
                    for (var t = 0; t < positions; t++) z.Add(Restored(PatchingTarget.Z, l, t, h));
            Array(w, "z", z, 4);
            w.WriteStartArray("streams");
            for (var l = 0; l < layers; l++)
                foreach (var target in new[] { PatchingTarget.ResidPre, PatchingTarget.AttnOut, PatchingTarget.MlpOut })
                {
                    w.WriteStartObject();
                    w.WriteString("name", $"blocks.{l}.hook_{Kind(target)}");
                    Array(w, "restored", Enumerable.Range(0, positions).Select(t => Restored(target, l, t)), 4);
                    w.WriteEndObject();
                }
            w.WriteEndArray();
            if (table.AttributionBy is not null)
            {
                w.WriteStartObject("attribution");
                w.WriteStartArray("nodes");
                foreach (var row in table.Rows) w.WriteStringValue(row.Node.Component);
                w.WriteEndArray();
                w.WriteStartArray("kind");
                foreach (var row in table.Rows) w.WriteStringValue(Kind(row.Node.Target));
                w.WriteEndArray();
                Array(w, "effect", table.Rows.Select(r => r.Effect), 5);
                Array(w, "estimate", table.Rows.Select(r => r.Attribution!.Value), 5);
                if (table.Correlation is { } r && double.IsFinite(r)) Number(w, "correlation", r, 5);
                else w.WriteNull("correlation");
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }

        public override IEnumerable<(string File, string Text)> Tables() => [("table.csv", PatchingCsv.Format(table))];
    }
}
