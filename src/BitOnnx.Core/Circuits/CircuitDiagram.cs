using System.Globalization;
using System.Text;
using BitOnnx.Core.Checkpoints;

namespace BitOnnx.Core.Circuits;

/// <summary>
/// A circuit drawn as ACDC draws its circuits (Conmy et al. 2023, fig. 1): the graph's nodes in rows from the embeddings
/// at the bottom (one per position) through each block's q, k and v inputs, heads and MLP to the logits at the top, every
/// kept edge as a curve whose width grows with the logarithm of its |score| (blue when the score is positive, red when
/// negative), every removed edge as a faint dashed curve, and a title and legend saying what was searched and what the
/// circuit keeps. Plain SVG text, the same bytes for the same circuit.
/// <para>
/// One <c>&lt;g class="node"&gt;</c> per distinct node name of the graph (a sender and a receiver of one MLP share
/// one; a head's q, k and v inputs are their own, joined to the head by a thin line), one
/// <c>&lt;path class="edge kept"&gt;</c> per kept edge and one <c>&lt;path class="edge dropped"&gt;</c> per removed one,
/// each with its name in <c>data-edge</c>.
/// </para>
/// </summary>
public static class CircuitDiagram
{
    private const double Margin = 24, RowGap = 92, TitleHeight = 62, LegendHeight = 46;
    private const double PortWidth = 34, PortHeight = 20, PortGap = 6, HeadGap = 26, NodeHeight = 26, EmbedWidth = 92;
    private const double ThinnestEdge = 1, ThickestEdge = 7, DroppedEdge = 0.6;
    private static readonly string[] PortLabels = ["q", "k", "v"];
    private const string Positive = "#2f6db5", Negative = "#d0543f", Dropped = "#b8c2cc", Ink = "#1f2430", Muted = "#5b6770";

    /// <summary>Writes <see cref="Svg"/> to <paramref name="path"/> through a temporary file and a rename.</summary>
    public static void Write(string path, CircuitGraph graph, CircuitReport report, string? model = null, int circuit = 0) =>
        AtomicFile.WriteText(path, Svg(graph, report, model, circuit));

    /// <summary>
    /// The diagram of <paramref name="report"/>'s circuit number <paramref name="circuit"/> (its first τ by default) on
    /// <paramref name="graph"/>; a <see cref="CircuitException"/> when the circuit was not found on a graph of this shape.
    /// </summary>
    public static string Svg(CircuitGraph graph, CircuitReport report, string? model = null, int circuit = 0)
    {
        if (circuit < 0 || circuit >= report.Circuits.Count)
            throw new CircuitException($"The circuit search holds {report.Circuits.Count} circuit(s), not one numbered {circuit}; draw one of 0 to {report.Circuits.Count - 1}.");
        var found = report.Circuits[circuit];
        var kept = KeptEdges(graph, found);
        var layout = new Layout(graph);
        var width = Width(kept.Values.Select(e => e.Score).ToList());

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(layout.Width)}\" height=\"{N(layout.Height)}\" viewBox=\"0 0 {N(layout.Width)} {N(layout.Height)}\" ")
            .Append("font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{N(layout.Width)}\" height=\"{N(layout.Height)}\" fill=\"#ffffff\"/>\n");
        Title(svg, report, found, model);

        // Removed edges first and kept ones over them, the thickest last, so no thin edge hides under a thick one.
        foreach (var edge in graph.Edges.Where(e => !kept.ContainsKey(e.Name)))
            svg.Append(CultureInfo.InvariantCulture, $"<path class=\"edge dropped\" data-edge=\"{X(edge.Name)}\" d=\"{layout.Curve(edge)}\" fill=\"none\" stroke=\"{Dropped}\" stroke-width=\"{N(DroppedEdge)}\" stroke-dasharray=\"3 3\"/>\n");
        foreach (var (edge, scored) in graph.Edges.Where(e => kept.ContainsKey(e.Name)).Select(e => (e, kept[e.Name]))
            .OrderBy(x => width(x.Item2.Score)).ThenBy(x => x.e.Index))
            svg.Append(CultureInfo.InvariantCulture, $"<path class=\"edge kept\" data-edge=\"{X(edge.Name)}\" data-score=\"{R(scored.Score)}\" d=\"{layout.Curve(edge)}\" fill=\"none\" ")
                .Append(CultureInfo.InvariantCulture, $"stroke=\"{(scored.Score < 0 ? Negative : Positive)}\" stroke-opacity=\"0.8\" stroke-width=\"{N(width(scored.Score))}\" stroke-linecap=\"round\">")
                .Append(CultureInfo.InvariantCulture, $"<title>{X(edge.Name)}: {R(scored.Score)}</title></path>\n");

        layout.Nodes(svg);
        Legend(svg, layout, kept.Values.Select(e => e.Score).ToList(), width, graph.Edges.Count - kept.Count);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The circuit's edges by name; every one must be an edge of <paramref name="graph"/>.</summary>
    private static Dictionary<string, ScoredEdge> KeptEdges(CircuitGraph graph, FoundCircuit found)
    {
        if (found.EdgesTotal != graph.Edges.Count)
            throw new CircuitException($"The circuit was found on a graph of {found.EdgesTotal} edges, this model's has {graph.Edges.Count}; draw a circuit with the model it was found on.");
        var kept = new Dictionary<string, ScoredEdge>(StringComparer.Ordinal);
        foreach (var edge in found.Edges)
        {
            var name = (graph.Find(edge.Sender, edge.Receiver)
                ?? throw new CircuitException($"The circuit's edge '{edge.Sender} -> {edge.Receiver}' is not in this model's graph; draw a circuit with the model it was found on.")).Name;
            if (!kept.TryAdd(name, edge))
                throw new CircuitException($"The circuit lists the edge '{name}' twice; draw a circuit written by bitonnx circuit.");
        }
        return kept;
    }

    /// <summary>
    /// Stroke width by |score|, on a log scale from the smallest |score| kept (thinnest) to the largest (thickest): the
    /// scores of one circuit span orders of magnitude (ACDC's from τ to the whole corrupted metric), which a linear
    /// scale would draw as one thick edge and many hairlines. A score that is 0 or not a number gets the thinnest.
    /// </summary>
    private static Func<double, double> Width(IReadOnlyList<double> scores)
    {
        var sizes = scores.Select(Math.Abs).Where(s => s > 0 && double.IsFinite(s)).ToList();
        if (sizes.Count == 0) return _ => ThinnestEdge;
        double lo = sizes.Min(), hi = sizes.Max();
        if (hi == lo) return s => Math.Abs(s) > 0 && double.IsFinite(s) ? (ThinnestEdge + ThickestEdge) / 2 : ThinnestEdge;
        return s =>
        {
            var size = Math.Abs(s);
            if (!(size > 0) || !double.IsFinite(size)) return ThinnestEdge;
            return ThinnestEdge + (ThickestEdge - ThinnestEdge) * Math.Log(size / lo) / Math.Log(hi / lo);
        };
    }

    private static void Title(StringBuilder svg, CircuitReport report, FoundCircuit found, string? model)
    {
        var metric = report.Metric == CircuitMetric.KlDivergence ? "KL divergence" : "cross-entropy";
        var seed = report.Corruption == Corruption.Resample ? $", seed {report.Seed}" : "";
        var recovered = double.IsNaN(found.MetricRecovered) ? "-" : (100 * found.MetricRecovered).ToString("F1", CultureInfo.InvariantCulture) + "%";
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"title\" x=\"{N(Margin)}\" y=\"24\" font-size=\"14\" font-weight=\"bold\" fill=\"{Ink}\">")
            .Append(X($"{(model is null ? "" : model + " · ")}{CircuitReport.NameOf(report.Method)} circuit")).Append("</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"subtitle\" x=\"{N(Margin)}\" y=\"42\" fill=\"{Muted}\">")
            .Append(X($"{metric}, {CircuitReport.NameOf(report.Corruption)} corruption{seed}, {report.Rows} pairs; τ = {R(found.Tau)}"))
            .Append("</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"subtitle\" x=\"{N(Margin)}\" y=\"58\" fill=\"{Muted}\">")
            .Append(X($"{found.EdgesKept} of {found.EdgesTotal} edges kept; metric recovered {recovered} ({metric} of the circuit {R(found.MetricCircuit)}, every edge corrupted {R(report.MetricCorrupted)})"))
            .Append("</text>\n");
    }

    private static void Legend(StringBuilder svg, Layout layout, IReadOnlyList<double> scores, Func<double, double> width, int dropped)
    {
        var y = layout.Height - LegendHeight / 2;
        var x = Margin;
        var sizes = scores.Select(Math.Abs).Where(s => s > 0 && double.IsFinite(s)).Distinct().Order().ToList();
        // The thinnest and the thickest kept edge, with their |score|.
        var samples = sizes.Count <= 1 ? sizes : [sizes[0], sizes[^1]];
        svg.Append("<g class=\"legend\">\n");
        foreach (var size in samples)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x)}\" y1=\"{N(y)}\" x2=\"{N(x + 30)}\" y2=\"{N(y)}\" stroke=\"{Positive}\" stroke-opacity=\"0.8\" stroke-width=\"{N(width(size))}\" stroke-linecap=\"round\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + 38)}\" y=\"{N(y + 4)}\" fill=\"{Muted}\">|score| {X(R(size))}</text>\n");
            x += 150;
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x)}\" y1=\"{N(y)}\" x2=\"{N(x + 30)}\" y2=\"{N(y)}\" stroke=\"{Dropped}\" stroke-width=\"{N(DroppedEdge)}\" stroke-dasharray=\"3 3\"/>")
            .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + 38)}\" y=\"{N(y + 4)}\" fill=\"{Muted}\">removed ({dropped})</text>\n");
        x += 130;
        if (scores.Any(s => s < 0))
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x)}\" y1=\"{N(y)}\" x2=\"{N(x + 30)}\" y2=\"{N(y)}\" stroke=\"{Negative}\" stroke-width=\"3\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + 38)}\" y=\"{N(y + 4)}\" fill=\"{Muted}\">negative score</text>\n");
        svg.Append("</g>\n");
    }

    /// <summary>Where each node sits: rows from the bottom (embeddings) to the top (logits), each row centred.</summary>
    private sealed class Layout
    {
        private readonly CircuitGraph _graph;
        private readonly Dictionary<string, (double X, double Y, double W, double H, string Label)> _boxes = new(StringComparer.Ordinal);
        private readonly List<(string Port, string Head)> _ports = [];

        public Layout(CircuitGraph graph)
        {
            _graph = graph;
            var config = graph.Config;
            var headWidth = 3 * PortWidth + 2 * PortGap;
            var embeds = graph.Senders.Where(s => s.Kind is SenderKind.Embed or SenderKind.PosEmbed).ToList();
            var perPosition = config.PositionalEmbedding ? 2 : 1;
            Width = 2 * Margin + Math.Max(Math.Max(config.NHeads * headWidth + (config.NHeads - 1) * HeadGap,
                config.NCtx * (perPosition * (EmbedWidth + 8) + HeadGap)), 560);
            var rows = 2 + 3 * config.NLayers;
            Height = TitleHeight + (rows - 1) * RowGap + NodeHeight + 2 * Margin + LegendHeight;
            double RowY(int row) => Height - LegendHeight - Margin - NodeHeight / 2 - row * RowGap;

            // Embeddings: one group per position, the token embedding and (nanda2023) the positional one side by side.
            var group = Width - 2 * Margin;
            foreach (var e in embeds)
            {
                var centre = Margin + group * (e.Position + 0.5) / config.NCtx;
                var offset = perPosition == 1 ? 0 : (e.Kind == SenderKind.Embed ? -1 : 1) * (EmbedWidth + 8) / 2;
                _boxes[e.Name] = (centre + offset, RowY(0), EmbedWidth, NodeHeight, e.Kind == SenderKind.Embed ? $"embed[{e.Position}]" : $"pos_embed[{e.Position}]");
            }
            var heads = config.NHeads * headWidth + (config.NHeads - 1) * HeadGap;
            for (var l = 0; l < config.NLayers; l++)
            {
                var layer = config.NLayers > 1 ? $"L{l} " : "";
                for (var h = 0; h < config.NHeads; h++)
                {
                    var centre = (Width - heads) / 2 + h * (headWidth + HeadGap) + headWidth / 2;
                    var head = new CircuitSender(SenderKind.Head, l, h).Name;
                    _boxes[head] = (centre, RowY(2 + 3 * l), headWidth, NodeHeight, $"{layer}head {h}");
                    var kinds = new[] { ReceiverKind.Query, ReceiverKind.Key, ReceiverKind.Value };
                    for (var k = 0; k < 3; k++)
                    {
                        var port = new CircuitReceiver(kinds[k], l, h).Name;
                        _boxes[port] = (centre + (k - 1) * (PortWidth + PortGap), RowY(1 + 3 * l), PortWidth, PortHeight, PortLabels[k]);
                        _ports.Add((port, head));
                    }
                }
                var groups = graph.MlpGroups;
                var mlpWidth = Math.Min(150, (Width - 2 * Margin) / groups - 8);
                for (var g = 0; g < groups; g++)
                {
                    int? mlpGroup = groups == 1 ? null : g;
                    var neurons = graph.MlpNeurons(mlpGroup);
                    var name = graph.Partition.IsContiguous ? $"{neurons[0]}–{neurons[^1]}" : graph.Partition.Groups[g].Label;
                    var label = groups == 1 ? $"{layer}MLP" : mlpWidth >= 90 ? $"{layer}MLP {name}" : graph.Partition.IsContiguous ? $"{layer}MLP {g}" : name;
                    _boxes[graph.MlpSender(l, mlpGroup).Name] = (Width / 2 + (g - (groups - 1) / 2.0) * (mlpWidth + 8), RowY(3 + 3 * l), mlpWidth, NodeHeight, label);
                }
            }
            _boxes[new CircuitReceiver(ReceiverKind.Logits, config.NLayers - 1).Name] = (Width / 2, RowY(rows - 1), 150, NodeHeight, "logits");
        }

        public double Width { get; }

        public double Height { get; }

        /// <summary>From the top of the sender's node to the bottom of the receiver's, the ends spread over the nodes' widths so that edges into one node stay apart.</summary>
        public string Curve(CircuitEdge edge)
        {
            var from = _boxes[edge.Sender.Name];
            var to = _boxes[edge.Receiver.Name];
            var into = _graph.Into(edge.Receiver);
            var outOf = _graph.Edges.Where(e => e.Sender == edge.Sender).ToList();
            double x1 = from.X + Spread(outOf.IndexOf(edge), outOf.Count, from.W), y1 = from.Y - from.H / 2;
            double x2 = to.X + Spread(into.ToList().IndexOf(edge), into.Count, to.W), y2 = to.Y + to.H / 2;
            var middle = (y1 + y2) / 2;
            return $"M {N(x1)} {N(y1)} C {N(x1)} {N(middle)} {N(x2)} {N(middle)} {N(x2)} {N(y2)}";
        }

        private static double Spread(int index, int count, double width) =>
            count <= 1 ? 0 : (index - (count - 1) / 2.0) * Math.Min(8, (width - 8) / (count - 1));

        public void Nodes(StringBuilder svg)
        {
            foreach (var (port, head) in _ports)
            {
                var p = _boxes[port];
                var h = _boxes[head];
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"internal\" x1=\"{N(p.X)}\" y1=\"{N(p.Y - p.H / 2)}\" x2=\"{N(p.X)}\" y2=\"{N(h.Y + h.H / 2)}\" stroke=\"{Muted}\" stroke-width=\"1\"/>\n");
            }
            foreach (var name in _graph.Senders.Select(s => s.Name).Concat(_graph.Receivers.Select(r => r.Name)).Distinct(StringComparer.Ordinal))
            {
                var b = _boxes[name];
                svg.Append(CultureInfo.InvariantCulture, $"<g class=\"node\" data-node=\"{X(name)}\"><title>{X(name)}</title>")
                    .Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(b.X - b.W / 2)}\" y=\"{N(b.Y - b.H / 2)}\" width=\"{N(b.W)}\" height=\"{N(b.H)}\" rx=\"5\" fill=\"#f4f6f8\" stroke=\"{Ink}\" stroke-width=\"1\"/>")
                    .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(b.X)}\" y=\"{N(b.Y + 4)}\" text-anchor=\"middle\" fill=\"{Ink}\">{X(b.Label)}</text></g>\n");
            }
        }
    }

    /// <summary>A coordinate: two decimals at most, the invariant culture.</summary>
    private static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A score or metric, four significant digits; "-" for not a number.</summary>
    private static string R(double v) => double.IsNaN(v) ? "-" : v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Text escaped for XML content and attribute values.</summary>
    private static string X(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
