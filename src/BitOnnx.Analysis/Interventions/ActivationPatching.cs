using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Interventions;

/// <summary>What patching measures at the last position: which of the two answers the model prefers, or how well it gives the clean one.</summary>
public enum PatchingMetric
{
    /// <summary>logit[clean answer] − logit[corrupted answer], averaged over rows (TransformerLens' logit difference).</summary>
    LogitDifference,

    /// <summary>The mean cross-entropy of the clean answer.</summary>
    Loss,
}

/// <summary>
/// One patched node: the metric of the corrupted run with the node's clean activation written in; its effect (that minus
/// the corrupted run's metric); the fraction of the clean−corrupted gap it restores; and attribution patching's linear
/// estimate of the effect, when gradients were available.
/// </summary>
public sealed record PatchingRow(PatchingNode Node, double Value, double Effect, double Restored, double? Attribution);

/// <summary>An activation patching table: the clean and corrupted runs' metrics and every node, largest effect first.</summary>
/// <param name="AttributionBy">What computed the gradients of the attribution estimates; null when there are none.</param>
/// <param name="Correlation">Pearson's r between the exact effects and the attribution estimates over the nodes.</param>
public sealed record PatchingResult(string MetricName, PatchingPairs Pairs, double Clean, double Corrupt, IReadOnlyList<PatchingRow> Rows,
    string? AttributionBy, double? Correlation);

/// <summary>
/// Activation patching (denoising, as TransformerLens' patching module): the corrupted inputs run with one node's
/// activation taken from the clean run, for every node, exactly, on ONNX Runtime; and attribution patching (Syed et al.
/// 2023, arXiv 2310.10348; Nanda's attribution patching): effect ≈ (H_clean − H_corrupt) · ∂metric/∂H at the corrupted
/// run, for every node from one clean pass, one corrupted pass and one backward. Nodes are variants of one batched run;
/// the last block's neurons are all evaluated at once, exactly, by their rank-1 change (<see cref="LastBlockNeurons"/>).
/// </summary>
public static class ActivationPatching
{
    /// <param name="weight">A folded weight by name, for the last block's neurons' shortcut; null runs them as variants.</param>
    /// <param name="gradients">The backend for the attribution estimates; null leaves them out.</param>
    public static PatchingResult Run(ModelSession session, PatchingPairs pairs, PatchingMetric metricKind, IReadOnlyCollection<PatchingTarget> targets,
        Func<string, float[]>? weight = null, IHookGradients? gradients = null, IProgress<double>? progress = null)
    {
        var config = session.Metadata.Config
            ?? throw new AnalysisInputException($"Model '{session.Name}' carries no bitonnx config; re-export it with bitonnx export --writable all --probes all.");
        if (pairs.P != config.P) throw new AnalysisInputException($"The pairs are for P = {pairs.P}; model '{session.Name}' has P = {config.P}.");
        var metric = Metric(metricKind, pairs, config.DVocabOut);
        var nodes = PatchingNodes.Of(config, targets);
        var hooks = nodes.Select(n => n.Hook).Distinct().ToList();
        long[] cleanTokens = pairs.Tokens(corrupted: false), corruptTokens = pairs.Tokens(corrupted: true);

        var clean = session.Run(cleanTokens, [.. hooks, HookNames.Logits]);
        var cleanValue = metric.Value(clean[HookNames.Logits].Data);
        var corruptValue = metric.Value(session.Run(corruptTokens)[HookNames.Logits].Data);
        var gap = cleanValue - corruptValue;

        var last = config.NLayers - 1;
        var fast = weight is not null ? nodes.Where(n => n.Target == PatchingTarget.Neurons && n.Layer == last).ToList() : [];
        var generic = nodes.Except(fast).ToList();
        var values = new Dictionary<PatchingNode, double>();
        if (generic.Count > 0)
        {
            var variants = generic.Select(n => session.Resolve(corruptTokens, [Intervention.Patch(n.Hook, clean[n.Hook].Data, n.Index)])).ToList();
            var runs = session.Run(corruptTokens, variants, [HookNames.Logits], new InterventionReads.Part(progress, 0, 0.8));
            for (var i = 0; i < generic.Count; i++) values[generic[i]] = metric.Value(runs[i][HookNames.Logits].Data);
        }
        if (fast.Count > 0)
        {
            var inputs = InterventionReads.LastBlock(session, config, corruptTokens, weight!, pairs.CleanAnswers);
            var replacement = InterventionReads.LastPosition(clean[HookNames.MlpPost(last)].Data, config.NCtx, config.DMlp);
            var patched = LastBlockNeurons.Evaluate(inputs, replacement, metric);
            foreach (var node in fast) values[node] = patched[node.Index.Neuron!.Value];
        }
        progress?.Report(0.8);

        var attribution = gradients is null ? null : Attribution(config, nodes, hooks, cleanTokens, corruptTokens, metric, gradients);
        progress?.Report(1);
        var rows = nodes.Select(n => new PatchingRow(n, values[n], values[n] - corruptValue, gap == 0 ? double.NaN : (values[n] - corruptValue) / gap,
            attribution?[n])).OrderByDescending(r => r.Effect).ThenBy(r => r.Node.Component, StringComparer.Ordinal).ToList();
        double? correlation = attribution is null ? null : Pearson(rows.Select(r => r.Effect).ToArray(), rows.Select(r => r.Attribution!.Value).ToArray());
        return new PatchingResult(metric.Name, pairs, cleanValue, corruptValue, rows, gradients?.Describe, correlation);
    }

    /// <summary>The metric as it is computed on the logits of the pairs' rows.</summary>
    public static LogitMetric Metric(PatchingMetric kind, PatchingPairs pairs, int classes) => kind == PatchingMetric.Loss
        ? LogitMetric.CrossEntropy(pairs.CleanAnswers, classes)
        : LogitMetric.LogitDifference(pairs.CleanAnswers, pairs.CorruptAnswers, classes);

    /// <summary>Σ over rows and the node's elements of (H_clean − H_corrupt) · ∂metric/∂H at the corrupted run.</summary>
    private static Dictionary<PatchingNode, double> Attribution(TransformerConfig config, IReadOnlyList<PatchingNode> nodes, IReadOnlyList<string> hooks,
        long[] cleanTokens, long[] corruptTokens, LogitMetric metric, IHookGradients gradients)
    {
        var clean = gradients.Run(cleanTokens, hooks, metric: null).Activations;
        var corrupt = gradients.Run(corruptTokens, hooks, metric);
        // Per hook, each element's product summed over rows once; a node then sums its elements.
        var perElement = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var hook in hooks)
        {
            var rowSize = HookLayout.Of(config, hook).RowSize;
            float[] h1 = clean[hook], h0 = corrupt.Activations[hook], g = corrupt.Gradients![hook];
            var sums = perElement[hook] = new double[rowSize];
            for (var i = 0; i < h1.Length; i++) sums[i % rowSize] += ((double)h1[i] - h0[i]) * g[i];
        }
        var estimates = new Dictionary<PatchingNode, double>();
        foreach (var node in nodes)
        {
            var mask = HookLayout.Of(config, node.Hook).Mask(node.Index);
            var sums = perElement[node.Hook];
            var sum = 0.0;
            for (var i = 0; i < mask.Length; i++)
                if (mask[i] != 0) sum += sums[i];
            estimates[node] = sum;
        }
        return estimates;
    }

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
