namespace BitOnnx.Core.Circuits;

/// <summary>How a circuit is found.</summary>
public enum CircuitMethod
{
    /// <summary>ACDC (Conmy et al. 2023): each edge patched in turn, removed for good when the metric moves by less than τ.</summary>
    Acdc,

    /// <summary>Edge attribution patching (Syed et al. 2023): a linear estimate of every edge's effect from one backward pass; edges with |score| ≥ τ kept.</summary>
    Eap,

    /// <summary>EAP with integrated gradients (Hanna et al. 2024): the gradient averaged over points between clean and corrupted.</summary>
    EapIg,
}

/// <summary>What a circuit is measured by, at the last position, averaged over rows.</summary>
public enum CircuitMetric
{
    /// <summary>KL(p_clean ‖ p_circuit): how far the output distribution moves from the whole model's.</summary>
    KlDivergence,

    /// <summary>Cross-entropy of the right answer (a + b mod P).</summary>
    Loss,
}

/// <summary>What a corrupted edge carries in place of its sender's clean output.</summary>
public enum Corruption
{
    /// <summary>The sender's output on another row (a seeded draw, one per row, never the row itself).</summary>
    Resample,

    /// <summary>The sender's mean output over all rows, at each position.</summary>
    Mean,
}

/// <summary>An edge by its sender's and receiver's names (<see cref="CircuitSender.Name"/>, <see cref="CircuitReceiver.Name"/>) and its score.</summary>
/// <param name="Score">ACDC: how far the metric moved when the edge was patched (the edge was kept because that was at
/// least τ). EAP and EAP-IG: the estimate of that move with the edge alone patched.</param>
public sealed record ScoredEdge(string Sender, string Receiver, double Score);

/// <summary>The circuit found at one τ: its edges, its metric with every other edge corrupted, and how long it took.</summary>
/// <param name="MetricRecovered">(m_corrupted − m_circuit) / (m_corrupted − m_clean): 1 when the circuit alone behaves as
/// the whole model, 0 when it does no better than the fully corrupted one. For the KL divergence, m_clean = 0 and this
/// is 1 − KL(circuit) / KL(corrupted).</param>
/// <param name="Seconds">Wall time to find the circuit and measure it (for EAP, the scoring pass that every τ shares is counted in each).</param>
public sealed record FoundCircuit(double Tau, int EdgesTotal, IReadOnlyList<ScoredEdge> Edges, double MetricCircuit, double MetricRecovered, double Seconds)
{
    public int EdgesKept => Edges.Count;

    /// <summary>(m_corrupted − m_circuit) / (m_corrupted − m_clean); NaN when clean and corrupted agree.</summary>
    public static double Recovered(double clean, double corrupted, double circuit) =>
        corrupted == clean ? double.NaN : (corrupted - circuit) / (corrupted - clean);
}

/// <summary>
/// One circuit search: how it was run, the whole model's and the fully corrupted model's metric, and the circuit found
/// at each τ, in the order the τs were given (the faithfulness curve when there are several).
/// </summary>
public sealed record CircuitReport(CircuitMethod Method, CircuitMetric Metric, Corruption Corruption, long Seed, int Rows,
    int EdgesTotal, double MetricClean, double MetricCorrupted, IReadOnlyList<FoundCircuit> Circuits)
{
    /// <summary>The groups each MLP was split into (<see cref="CircuitGraph.MlpGroups"/>): the graph searched is <c>CircuitGraph.Of(config, MlpGroups)</c>.</summary>
    public int MlpGroups { get; init; } = 1;

    /// <summary>
    /// The groups when they are not <see cref="MlpPartition.Contiguous"/> (for example by key frequency): the graph
    /// searched is <c>CircuitGraph.Of(config, MlpPartition)</c>; null when <see cref="MlpGroups"/> alone describes it.
    /// </summary>
    public MlpPartition? MlpPartition { get; init; }

    /// <summary>
    /// The area under the faithfulness curve: metric recovered against the fraction of edges kept, by the trapezoid
    /// rule over the circuits' points and the two ends every search has, the empty circuit (0 edges, 0 recovered, as
    /// <see cref="FoundCircuit.MetricRecovered"/> defines it) and the whole graph (all edges, 1). 1 = a circuit of no
    /// edges recovers everything; 0.5 = recovery grows only in proportion to the edges kept. NaN when any point is.
    /// </summary>
    public double Area
    {
        get
        {
            var points = Circuits.Select(c => (X: (double)c.EdgesKept / c.EdgesTotal, Y: c.MetricRecovered))
                .Append((X: 0.0, Y: 0.0)).Append((X: 1.0, Y: 1.0)).OrderBy(p => p.X).ThenBy(p => p.Y).ToList();
            var area = 0.0;
            for (var i = 1; i < points.Count; i++) area += (points[i].X - points[i - 1].X) * (points[i].Y + points[i - 1].Y) / 2;
            return area;
        }
    }

    /// <summary>The names the command line and the JSON use: acdc, eap, eap-ig; kl, loss; resample, mean.</summary>
    public static string NameOf(CircuitMethod method) => method switch { CircuitMethod.Acdc => "acdc", CircuitMethod.Eap => "eap", _ => "eap-ig" };

    /// <inheritdoc cref="NameOf(CircuitMethod)"/>
    public static string NameOf(CircuitMetric metric) => metric == CircuitMetric.KlDivergence ? "kl" : "loss";

    /// <inheritdoc cref="NameOf(CircuitMethod)"/>
    public static string NameOf(Corruption corruption) => corruption == Corruption.Resample ? "resample" : "mean";
}

/// <summary>A circuit search that cannot be run as asked: a threshold that is not positive, a method the metric gives nothing to.</summary>
public sealed class CircuitException(string message) : BitOnnxException(message);
