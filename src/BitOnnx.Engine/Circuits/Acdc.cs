using BitOnnx.Core.Circuits;
using BitOnnx.Core.Interventions;

namespace BitOnnx.Engine.Circuits;

/// <summary>What ACDC kept, each edge's score, and the metric of the circuit it ended with.</summary>
/// <param name="Kept">By <see cref="CircuitEdge.Index"/>: whether the edge is in the circuit.</param>
/// <param name="Scores">By edge: the metric's move when the edge was patched (m with it corrupted − m without), NaN for
/// an edge into a node that no longer reached the logits, which was removed untested.</param>
/// <param name="Metric">The metric with every removed edge corrupted.</param>
/// <param name="Evaluations">Forward passes run to test edges.</param>
public sealed record AcdcResult(bool[] Kept, double[] Scores, double Metric, int Evaluations);

/// <summary>
/// ACDC (Conmy, Mavor-Parker, Lynch, Heimersheim and Garriga-Alonso 2023, arXiv 2304.14997, Algorithm 1): start from the
/// whole graph; visit the receivers from the output back to the input (reverse forward order); for each incoming edge
/// of a receiver whose node still reaches the logits, latest sender first, corrupt it; if the metric rises by less than
/// τ (m_new − m_current &lt; τ, signed, as the paper's algorithm) remove the edge for good, else restore it. Edges into a
/// node with no path left to the logits are removed without a test (their effect is 0: everything the node sends is
/// already corrupted). Every candidate is one <see cref="EdgePatchedRun.Logits"/> of the same run, which recomputes
/// only the patched receiver's node and what reads it. Any backend's <see cref="IEdgePatching"/> runs it (ONNX Runtime's
/// recomputes the whole pass for each candidate).
/// </summary>
public static class Acdc
{
    /// <param name="progress">Reports the fraction of edges decided.</param>
    public static AcdcResult Run(IEdgePatching patching, LogitMetric metric, double tau, IProgress<double>? progress = null)
    {
        if (!(tau > 0) || !double.IsFinite(tau)) throw new CircuitException($"ACDC's threshold τ must be a positive number, not {tau}.");
        var graph = patching.Graph;
        var run = patching.NewRun();
        var current = metric.Value(run.Logits());
        var kept = Enumerable.Repeat(true, graph.Edges.Count).ToArray();
        var scores = Enumerable.Repeat(double.NaN, graph.Edges.Count).ToArray();
        var reaching = new HashSet<string>(StringComparer.Ordinal) { new CircuitReceiver(ReceiverKind.Logits).Node };
        int decided = 0, evaluations = 0;
        foreach (var receiver in graph.Receivers.Reverse())
        {
            var edges = graph.Into(receiver).Reverse().ToList();
            var live = reaching.Contains(receiver.Node);
            foreach (var edge in edges)
            {
                run[edge.Index] = 1;
                if (live)
                {
                    var value = metric.Value(run.Logits());
                    evaluations++;
                    scores[edge.Index] = value - current;
                    if (value - current < tau) current = value;
                    else run[edge.Index] = 0;
                }
                kept[edge.Index] = run[edge.Index] == 0;
                if (kept[edge.Index]) reaching.Add(edge.Sender.Name);
                progress?.Report((double)++decided / graph.Edges.Count);
            }
        }
        return new AcdcResult(kept, scores, current, evaluations);
    }
}
