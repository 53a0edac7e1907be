using System.Text.Json;
using BitOnnx.Analysis.Interventions;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using static BitOnnx.Analysis.Report.JsonWriting;

namespace BitOnnx.Analysis.Sections;

/// <summary>
/// Mean-ablation of every head, position, MLP and attention output and every neuron of the last MLP, over all P² pairs
/// (<see cref="AblationTable"/>): which components the model needs, and how many neurons carry its algorithm, each
/// neuron coloured by the frequency it clusters at.
/// </summary>
[ReportOrder(10)]
public sealed class AblationSection : IReportSection
{
    public string Id => "ablation";

    public string Title => "Ablation";

    public string Caption =>
        "The loss over all P² pairs with one component replaced by its mean over all pairs (at each position): each attention head's " +
        "output z, each position of the residual stream entering block 0, the MLP and attention outputs, and each neuron of the last MLP " +
        "(all neurons at once, exactly, from the rank-1 change each makes to the last position), and every neuron of each frequency cluster " +
        "at once. Neurons are coloured by the frequency they cluster at (best FVE ≥ 0.5); grey: unclustered. " +
        "<span class=\"mono\">bitonnx ablate</span> gives the same table for single components.";

    public IReadOnlyList<string> Plots { get; } = ["ablationComponents", "ablationNeurons"];

    public SectionResult? Compute(SectionContext context, out string? skipped)
    {
        skipped = null;
        if (context.Session is not { } session)
        {
            skipped = "not ablated: the model was exported without writable hooks (bitonnx export ... --writable all).";
            return null;
        }
        // A spliced model's neurons feed nothing (ModelInputs.NeuronsSkipped): every other component is ablated.
        var targets = Enum.GetValues<AblationTarget>().Where(t => context.Model.Splice is null || t != AblationTarget.Neurons).ToArray();
        var table = AblationTable.Run(session, targets, InterventionKind.Mean,
            name => context.Weight(name) ?? throw new AnalysisInputException($"Model '{context.Model.Name}' holds no weight '{name}'."),
            progress: context.Progress);
        var neurons = context.Analysis.Neurons;
        var clusterAt = context.Analysis.Learning.AllowsClaims && neurons is not null
            ? Enumerable.Range(0, neurons.DMlp).Select(n => neurons.BestFve[n] >= context.Options.KeyFrequencies.NeuronClusterMinFve ? neurons.BestFrequency[n] : 0).ToArray()
            : null;
        // One neuron at a time moves little where many neurons share a frequency; a whole cluster at once says what it carries.
        IReadOnlyList<AblationRow> clusters = [];
        if (clusterAt is not null)
        {
            var hook = HookNames.MlpPost(context.Config!.NLayers - 1);
            var groups = clusterAt.Select((f, n) => (f, n)).Where(x => x.f > 0).GroupBy(x => x.f).OrderBy(g => g.Key)
                .Select(g => ($"{hook}[cluster f={g.Key}, {g.Count()} neurons]",
                    (IReadOnlyList<Intervention>)g.Select(x => Intervention.Mean(hook, new HookIndex(Neuron: x.n))).ToList()))
                .ToList();
            clusters = AblationTable.Groups(session, groups);
        }
        return new Result(table, clusterAt, clusters, context.Model.NeuronsSkipped);
    }

    public string Script => """
        BitOnnxReport.renderers.ablationComponents = function (div, m, data, r) {
          var rows = data.components.slice().reverse();
          r.header(div, m, 'mean ablation: \u0394 loss per component', 'loss as it is ' + data.none.loss.toPrecision(3) + ', accuracy ' + (100 * data.none.accuracy).toFixed(1) + '%');
          var lay = r.layout('\u0394 loss (mean cross-entropy over all P\u00B2 pairs)', '', { height: Math.max(260, 26 * rows.length + 90), margin: { l: 230, r: 20, t: 28, b: 56 } });
          lay.yaxis.automargin = true;
          return r.draw(div, [{ type: 'bar', orientation: 'h', y: rows.map(function (c) { return c.component; }), x: rows.map(function (c) { return c.effect; }),
            customdata: rows.map(function (c) { return 100 * c.accuracy; }), marker: { color: m.color },
            hovertemplate: '%{y}<br>\u0394 loss %{x:.4g}<br>accuracy %{customdata:.1f}%<extra></extra>' }], lay);
        };

        BitOnnxReport.renderers.ablationNeurons = function (div, m, data, r) {
          var n = data.neurons;
          if (!n.effect.length) {
            r.header(div, m, 'mean ablation of each neuron of the last MLP', r.escapeHtml(data.neuronsSkipped || 'no neuron was ablated'));
            return r.draw(div, [], r.layout('', ''));
          }
          var order = n.effect.map(function (_, i) { return i; }).sort(function (a, b) { return n.effect[b] - n.effect[a]; }).slice(0, 96);
          var frequencies = {};
          order.forEach(function (i) { frequencies[n.cluster ? n.cluster[i] : 0] = true; });
          var palette = ['#2f6db5', '#d0543f', '#2a9d8f', '#c9a227', '#7b5ea7', '#e07a5f', '#3d405b', '#81b29a', '#f2cc8f', '#6d597a'];
          var keys = Object.keys(frequencies).map(Number).sort(function (a, b) { return a - b; });
          var traces = keys.map(function (f, k) {
            var members = order.filter(function (i) { return (n.cluster ? n.cluster[i] : 0) === f; });
            return { type: 'bar', name: f === 0 ? 'unclustered' : 'f = ' + f, x: members.map(function (i) { return order.indexOf(i) + 1; }),
              y: members.map(function (i) { return n.effect[i]; }), width: 0.8, customdata: members,
              marker: { color: f === 0 ? '#b8c2cc' : palette[(keys.indexOf(f) - (keys[0] === 0 ? 1 : 0)) % palette.length] },
              hovertemplate: 'neuron %{customdata}<br>\u0394 loss %{y:.4g}<extra>' + (f === 0 ? 'unclustered' : 'f = ' + f) + '</extra>' };
          });
          r.header(div, m, 'mean ablation of each neuron of the last MLP', 'the ' + order.length + ' largest of ' + n.effect.length +
            ' \u00B7 ' + data.neuronsFor90 + ' neurons carry 90% of the total neuron effect');
          var lay = r.layout('neurons, by effect', '\u0394 loss', { barmode: 'overlay', bargap: 0.1 });
          lay.yaxis.exponentformat = 'e';
          return r.draw(div, traces, lay);
        };
        """;

    private sealed class Result(AblationResult table, int[]? clusterAt, IReadOnlyList<AblationRow> clusters, string? neuronsSkipped) : SectionResult
    {
        /// <summary>Every component but single neurons, and each neuron cluster ablated as a whole, largest effect first.</summary>
        private IReadOnlyList<AblationRow> Components => table.Rows.Where(r => !r.Component.Contains(".mlp.hook_post[neuron", StringComparison.Ordinal))
            .Concat(clusters).OrderByDescending(r => r.Effect).ToList();

        /// <summary>The last MLP's neurons by index; empty for a model whose neurons were not ablated.</summary>
        private AblationRow[] Neurons => table.Rows.Where(r => r.Component.Contains(".mlp.hook_post", StringComparison.Ordinal))
            .Where(r => r.Component.Contains("[neuron=", StringComparison.Ordinal)).OrderBy(r => NeuronOf(r.Component)).ToArray();

        /// <summary>How few neurons, largest effect first, add up to 90% of the neurons' total effect.</summary>
        private int NeuronsFor90()
        {
            var effects = Neurons.Select(r => Math.Max(0, r.Effect)).OrderByDescending(e => e).ToArray();
            var total = effects.Sum();
            var sum = 0.0;
            for (var i = 0; i < effects.Length; i++)
                if ((sum += effects[i]) >= 0.9 * total) return i + 1;
            return effects.Length;
        }

        public override void WriteSummary(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("kind", table.KindName);
            Number(w, "loss", table.None.Loss);
            Number(w, "accuracy", table.None.Accuracy);
            w.WriteStartArray("components");
            foreach (var row in Components)
            {
                w.WriteStartObject();
                w.WriteString("component", row.Component);
                Number(w, "loss", row.Loss);
                Number(w, "accuracy", row.Accuracy);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("neurons", Neurons.Length);
            w.WriteNumber("neurons_for_90_percent_of_effect", NeuronsFor90());
            if (neuronsSkipped is not null) w.WriteString("neurons_skipped", neuronsSkipped);
            if (clusterAt is not null)
            {
                w.WriteStartObject("neuron_effect_by_cluster_frequency");
                foreach (var group in Neurons.GroupBy(r => clusterAt[NeuronOf(r.Component)]).OrderBy(g => g.Key))
                {
                    w.WriteStartObject(group.Key == 0 ? "unclustered" : group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    w.WriteNumber("neurons", group.Count());
                    Number(w, "total_effect", group.Sum(r => r.Effect));
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }

        public override void WritePageData(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteStartObject("none");
            Number(w, "loss", table.None.Loss, 5);
            Number(w, "accuracy", table.None.Accuracy, 5);
            w.WriteEndObject();
            w.WriteStartArray("components");
            foreach (var row in Components)
            {
                w.WriteStartObject();
                w.WriteString("component", row.Component);
                Number(w, "effect", row.Effect, 5);
                Number(w, "accuracy", row.Accuracy, 5);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("neurons");
            Array(w, "effect", Neurons.Select(r => r.Effect), 5);
            if (clusterAt is not null) Array(w, "cluster", clusterAt);
            w.WriteEndObject();
            w.WriteNumber("neuronsFor90", NeuronsFor90());
            if (neuronsSkipped is not null) w.WriteString("neuronsSkipped", neuronsSkipped);
            w.WriteEndObject();
        }

        public override IEnumerable<(string File, string Text)> Tables() => clusters.Count == 0
            ? [("table.csv", AblationCsv.Format(table))]
            : [("table.csv", AblationCsv.Format(table)), ("clusters.csv", AblationCsv.Format(table with { Rows = clusters }))];

        private static int NeuronOf(string component) =>
            int.Parse(component[(component.IndexOf("neuron=", StringComparison.Ordinal) + 7)..^1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
