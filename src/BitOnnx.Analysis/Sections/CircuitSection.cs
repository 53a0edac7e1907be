using System.Globalization;
using System.Text;
using System.Text.Json;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Circuits;
using static BitOnnx.Analysis.Report.JsonWriting;

namespace BitOnnx.Analysis.Sections;

/// <summary>
/// The circuit a search found on the model (<c>bitonnx circuit --json</c>, given to the report by
/// <c>bitonnx analyze --circuit</c>): its diagram (<see cref="CircuitDiagram"/>) and its kept edges with their scores.
/// Nothing is computed here; the search runs on the engine, which this project does not reference.
/// </summary>
[ReportOrder(30)]
public sealed class CircuitSection : IReportSection
{
    public string Id => "circuit";

    public string Title => "Circuit";

    public string Caption =>
        "The edges of the model's computational graph that its answer needs, as <span class=\"mono\">bitonnx circuit</span> found them " +
        "(ACDC, Conmy et al. 2023; EAP, Syed et al. 2023; EAP-IG, Hanna et al. 2024) over all P² pairs: embeddings at the bottom, " +
        "each head's q, k and v inputs, heads, MLP and logits above. A kept edge's width grows with the logarithm of its |score| " +
        "(for ACDC, how far the metric rose when it alone was corrupted); removed edges are faint. Metric recovered: " +
        "(m<sub>corrupted</sub> − m<sub>circuit</sub>) / (m<sub>corrupted</sub> − m<sub>whole</sub>), 1 when the circuit alone behaves as the whole model. " +
        "docs/circuits.md says how it is computed.";

    public IReadOnlyList<string> Plots { get; } = ["circuitDiagram"];

    public SectionResult? Compute(SectionContext context, out string? skipped)
    {
        skipped = null;
        if (context.Model.Circuit is not { } circuit)
        {
            skipped = "no circuit: give bitonnx analyze --circuit with the JSON that bitonnx circuit --json wrote for this model.";
            return null;
        }
        return new Result(circuit, CircuitDiagram.Svg(circuit.Graph, circuit.Report, circuit.Model));
    }

    public string Script => """
        BitOnnxReport.renderers.circuitDiagram = function (div, m, data, r) {
          var e = r.escapeHtml;
          r.header(div, m, data.method + ' circuit, \u03C4 = ' + data.tau, data.edgesKept + ' of ' + data.edgesTotal + ' edges kept; metric recovered ' +
            (data.recovered === null ? '-' : (100 * data.recovered).toFixed(1) + '%'));
          var rows = data.edges.map(function (x) {
            return '<tr><td class="mono">' + e(x.sender) + '</td><td class="mono">' + e(x.receiver) + '</td><td>' + (x.score === null ? '-' : x.score.toPrecision(4)) + '</td></tr>';
          }).join('');
          return r.show(div, '<div style="overflow-x:auto">' + data.svg + '</div>' +
            '<table class="summary"><thead><tr><th>sender</th><th>receiver</th><th>score</th></tr></thead><tbody>' + rows + '</tbody></table>');
        };
        """;

    private sealed class Result(CircuitInput circuit, string svg) : SectionResult
    {
        private FoundCircuit First => circuit.Report.Circuits[0];

        public override void WriteSummary(Utf8JsonWriter w)
        {
            var report = circuit.Report;
            w.WriteStartObject();
            if (circuit.Model is not null) w.WriteString("model", circuit.Model);
            w.WriteString("method", CircuitReport.NameOf(report.Method));
            w.WriteString("metric", CircuitReport.NameOf(report.Metric));
            w.WriteString("corrupt", CircuitReport.NameOf(report.Corruption));
            Number(w, "tau", First.Tau);
            w.WriteNumber("edges_total", First.EdgesTotal);
            w.WriteNumber("edges_kept", First.EdgesKept);
            Number(w, "metric_recovered", First.MetricRecovered);
            if (report.Circuits.Count > 1) Number(w, "area", report.Area);
            w.WriteEndObject();
        }

        public override void WritePageData(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("method", CircuitReport.NameOf(circuit.Report.Method));
            w.WriteString("tau", First.Tau.ToString("G4", CultureInfo.InvariantCulture));
            w.WriteNumber("edgesTotal", First.EdgesTotal);
            w.WriteNumber("edgesKept", First.EdgesKept);
            Number(w, "recovered", First.MetricRecovered, 4);
            w.WriteString("svg", svg);
            w.WriteStartArray("edges");
            foreach (var edge in First.Edges)
            {
                w.WriteStartObject();
                w.WriteString("sender", edge.Sender);
                w.WriteString("receiver", edge.Receiver);
                Number(w, "score", edge.Score, 5);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }

        /// <summary>The kept edges of the first τ, as the JSON lists them (by the search's order), scores at full precision.</summary>
        public override IEnumerable<(string File, string Text)> Tables()
        {
            var csv = new StringBuilder("sender,receiver,score\n");
            foreach (var edge in First.Edges)
                csv.Append(CultureInfo.InvariantCulture, $"{edge.Sender},{edge.Receiver},{(double.IsNaN(edge.Score) ? "" : edge.Score.ToString("R", CultureInfo.InvariantCulture))}\n");
            return [("edges.csv", csv.ToString())];
        }
    }
}
