using BitOnnx.Core.Interventions;

namespace BitOnnx.Core.Circuits;

/// <summary>
/// Edge patching on one batch of rows, whichever backend computes it: the graph, the corruption, the metrics of these
/// rows, and runs whose every edge carries a mask. ACDC and the circuit search ask only for this, so the engine and
/// ONNX Runtime (graph surgery) run the same search.
/// </summary>
public interface IEdgePatching
{
    /// <summary>The graph whose edges the masks are on.</summary>
    CircuitGraph Graph { get; }

    /// <summary>What a corrupted edge carries.</summary>
    Corruption Corruption { get; }

    /// <summary>The seed of the resample's draw (unused by mean ablation).</summary>
    long Seed { get; }

    /// <summary>The rows every run computes (all P² pairs for a circuit search).</summary>
    int Rows { get; }

    /// <summary>The metric on these rows: the KL divergence from the clean run's output, or the cross-entropy of the right answer.</summary>
    LogitMetric Metric(CircuitMetric metric);

    /// <summary>A run with every edge's mask at <paramref name="alpha"/> (0 clean, 1 corrupted).</summary>
    IEdgePatchedRun NewRun(float alpha = 0);
}

/// <summary>
/// A forward pass with a mask on every edge: each receiver's input is the sum of its senders' outputs, each clean (as
/// computed in this run) or corrupted as its edge's mask says (0 clean, 1 corrupted).
/// </summary>
public interface IEdgePatchedRun
{
    CircuitGraph Graph { get; }

    /// <summary>The mask of edge <paramref name="edge"/> (its index in <see cref="CircuitGraph.Edges"/>).</summary>
    float this[int edge] { get; set; }

    /// <summary>[rows, P]: the last position's logits with the masks as they are now. Read it, do not write it.</summary>
    float[] Logits();
}

/// <summary>What every backend's edge patching computes the same way from its runs.</summary>
public static class EdgePatchingExtensions
{
    /// <summary>The metric with the edges <paramref name="kept"/> clean and every other edge corrupted.</summary>
    public static double MetricOfCircuit(this IEdgePatching patching, LogitMetric metric, IReadOnlyCollection<CircuitEdge> kept)
    {
        var run = patching.NewRun(1);
        foreach (var edge in kept) run[edge.Index] = 0;
        return metric.Value(run.Logits());
    }
}
