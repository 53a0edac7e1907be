using System.Diagnostics;
using BitOnnx.Core.Circuits;

namespace BitOnnx.Engine.Circuits;

/// <summary>
/// A circuit by ACDC, EAP or EAP-IG at each of a list of thresholds τ, with the whole model's metric, the fully
/// corrupted model's, and each circuit's with every edge outside it corrupted. ACDC removes an edge when corrupting it
/// moves the metric by less than τ; EAP and EAP-IG keep the edges whose |score| is at least τ (Syed et al. rank by the
/// absolute score: an edge whose corruption would lower the loss matters as much as one that raises it). A score is an
/// estimate of the metric's move, so one τ means the same for all three. ACDC runs on any backend's
/// <see cref="IEdgePatching"/>; EAP and EAP-IG need the engine's backward pass (<see cref="EdgePatching"/>).
/// </summary>
public static class CircuitSearch
{
    /// <summary>EAP-IG's points between clean and corrupted (Hanna et al. found 5 enough on their tasks).</summary>
    public const int DefaultSteps = 5;

    /// <param name="taus">Thresholds, each positive; one circuit each, in this order.</param>
    /// <param name="steps">EAP-IG's points on the path.</param>
    /// <param name="progress">Reports the fraction done.</param>
    public static CircuitReport Run(IEdgePatching patching, CircuitMethod method, CircuitMetric metric, IReadOnlyList<double> taus,
        int steps = DefaultSteps, IProgress<double>? progress = null)
    {
        Check(method, metric, taus);
        var measure = patching.Metric(metric);
        var clean = measure.Value(patching.NewRun(0).Logits());
        var corrupted = measure.Value(patching.NewRun(1).Logits());
        var edges = patching.Graph.Edges;
        var circuits = new List<FoundCircuit>();
        FoundCircuit Circuit(double tau, bool[] kept, double[] scores, double value, double seconds) => new(tau, edges.Count,
            edges.Where(e => kept[e.Index]).OrderByDescending(e => Math.Abs(scores[e.Index])).ThenBy(e => e.Index)
                .Select(e => new ScoredEdge(e.Sender.Name, e.Receiver.Name, scores[e.Index])).ToList(),
            value, FoundCircuit.Recovered(clean, corrupted, value), seconds);

        if (method == CircuitMethod.Acdc)
        {
            for (var i = 0; i < taus.Count; i++)
            {
                var clock = Stopwatch.StartNew();
                var part = new Part(progress, i, taus.Count);
                var result = Acdc.Run(patching, measure, taus[i], part);
                circuits.Add(Circuit(taus[i], result.Kept, result.Scores, result.Metric, clock.Elapsed.TotalSeconds));
            }
            return Report();
        }

        var engine = patching as EdgePatching ?? throw new CircuitException(
            $"Method {CircuitReport.NameOf(method)} scores edges by the engine's gradients, which ONNX Runtime does not give; run it on the engine (--backend engine), or run acdc on ONNX Runtime.");
        var scoring = Stopwatch.StartNew();
        var scores = method == CircuitMethod.Eap
            ? EdgeAttribution.Eap(engine, measure)
            : EdgeAttribution.EapIg(engine, measure, steps, new Part(progress, 0, 2));
        var scored = scoring.Elapsed.TotalSeconds;
        for (var i = 0; i < taus.Count; i++)
        {
            var clock = Stopwatch.StartNew();
            var kept = scores.Select(s => Math.Abs(s) >= taus[i]).ToArray();
            var value = patching.MetricOfCircuit(measure, edges.Where(e => kept[e.Index]).ToList());
            circuits.Add(Circuit(taus[i], kept, scores, value, scored + clock.Elapsed.TotalSeconds));
            progress?.Report(0.5 + 0.5 * (i + 1) / taus.Count);
        }
        return Report();

        CircuitReport Report() => new(method, metric, patching.Corruption, patching.Seed, patching.Rows, edges.Count, clean, corrupted, circuits)
        {
            MlpGroups = patching.Graph.MlpGroups,
            MlpPartition = patching.Graph.Partition.IsContiguous ? null : patching.Graph.Partition,
        };
    }

    /// <summary>
    /// A <see cref="CircuitException"/> when the search cannot be run as asked: no τ, a τ that is not a positive number,
    /// or EAP of the KL divergence (0 for every edge). Cheap: callers check before they build an <see cref="EdgePatching"/>.
    /// </summary>
    public static void Check(CircuitMethod method, CircuitMetric metric, IReadOnlyList<double> taus)
    {
        if (taus.Count == 0) throw new CircuitException("Give at least one threshold τ.");
        foreach (var tau in taus)
            if (!(tau > 0) || !double.IsFinite(tau))
                throw new CircuitException($"The threshold τ must be a positive number, not {tau.ToString(System.Globalization.CultureInfo.InvariantCulture)}: an edge is removed when it moves the metric by less than τ.");
        if (method == CircuitMethod.Eap && metric == CircuitMetric.KlDivergence)
            throw new CircuitException("EAP scores an edge by the gradient at the clean run, where the KL divergence from the clean run is at its minimum and its gradient is 0, so every score would be 0: use --method eap-ig (gradients between clean and corrupted) or --metric loss.");
    }

    /// <summary>Part <paramref name="index"/> of <paramref name="parts"/> equal parts of the whole progress.</summary>
    private sealed class Part(IProgress<double>? whole, int index, int parts) : IProgress<double>
    {
        public void Report(double value) => whole?.Report((index + value) / parts);
    }
}
