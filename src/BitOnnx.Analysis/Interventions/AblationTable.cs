using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Interventions;

/// <summary>A component's loss and accuracy over all P² pairs with it ablated; <see cref="Effect"/> is the loss it adds.</summary>
public sealed record AblationRow(string Component, double Loss, double Accuracy, double Effect);

/// <summary>An ablation table: the model as it is (<see cref="None"/>), then every component, sorted by effect, largest first.</summary>
public sealed record AblationResult(InterventionKind Kind, AblationRow None, IReadOnlyList<AblationRow> Rows)
{
    /// <summary>The kind as tables name it: zero, mean, resample.</summary>
    public string KindName => Kind.ToString().ToLowerInvariant();
}

/// <summary>
/// Ablates components one at a time on ONNX Runtime over all P² pairs and measures the mean cross-entropy at the last
/// position and the accuracy, as TransformerLens' patching tables do. Components are variants of one batched run
/// (ModelSession stacks them), except the last block's neurons: those are all evaluated at once, exactly, by
/// <see cref="LastBlockNeurons"/> from the clean run's probes and the folded weights.
/// </summary>
public static class AblationTable
{
    public static AblationResult Run(ModelSession session, IReadOnlyCollection<AblationTarget> targets, InterventionKind kind,
        Func<string, float[]>? weight = null, long seed = 0, IProgress<double>? progress = null)
    {
        if (kind == InterventionKind.Values) throw new AnalysisInputException("An ablation is zero, mean or resample; patch given values with bitonnx patch.");
        var config = session.Metadata.Config
            ?? throw new AnalysisInputException($"Model '{session.Name}' carries no bitonnx config; re-export it with bitonnx export --writable all --probes all.");
        int p = config.P;
        var tokens = ModelSession.GridTokens(p);
        var targetsOfRows = ModularAdditionData.Targets(p, ModularAdditionData.AllRows(p));
        var components = AblationTargets.Of(config, targets, kind);
        var last = config.NLayers - 1;
        var fast = weight is not null
            ? components.Where(c => c.Target == AblationTarget.Neurons && c.Layer == last).ToList()
            : [];
        var generic = components.Except(fast).ToList();

        var clean = session.Run(tokens)[HookNames.Logits].Data;
        var none = Row("none", clean, p, targetsOfRows, 0);
        var rows = new List<AblationRow>();
        if (generic.Count > 0)
        {
            var variants = generic.Select(c => session.Resolve(tokens, [c.Intervention], seed)).ToList();
            var runs = session.Run(tokens, variants, [HookNames.Logits], new InterventionReads.Part(progress, 0, fast.Count > 0 ? 0.5 : 1));
            rows.AddRange(generic.Select((c, i) => Row(c.Name, runs[i][HookNames.Logits].Data, p, targetsOfRows, none.Loss)));
        }
        if (fast.Count > 0)
        {
            var (loss, accuracy) = LastBlockNeurons.Evaluate(InterventionReads.LastBlock(session, config, tokens, weight!, targetsOfRows), Replacement(session, config, tokens, kind, seed));
            rows.AddRange(fast.Select((c, n) => new AblationRow(c.Name, loss[n], accuracy[n], loss[n] - none.Loss)));
        }
        progress?.Report(1);
        return new AblationResult(kind, none, rows.OrderByDescending(r => r.Effect).ThenBy(r => r.Component, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Each group of interventions applied together, one variant per group (e.g. every neuron of a frequency cluster),
    /// with its loss and accuracy over all P² pairs and the loss it adds to the clean model's.
    /// </summary>
    public static IReadOnlyList<AblationRow> Groups(ModelSession session, IReadOnlyList<(string Name, IReadOnlyList<Intervention> Interventions)> groups,
        long seed = 0, IProgress<double>? progress = null)
    {
        int p = session.P;
        var tokens = ModelSession.GridTokens(p);
        var targets = ModularAdditionData.Targets(p, ModularAdditionData.AllRows(p));
        var none = Row("none", session.Run(tokens)[HookNames.Logits].Data, p, targets, 0);
        var variants = groups.Select(g => session.Resolve(tokens, g.Interventions, seed)).ToList();
        var runs = session.Run(tokens, variants, [HookNames.Logits], progress);
        return groups.Select((g, i) => Row(g.Name, runs[i][HookNames.Logits].Data, p, targets, none.Loss)).ToList();
    }

    private static AblationRow Row(string component, float[] logits, int p, int[] targets, double baseline)
    {
        var rows = ModularAdditionData.AllRows(p);
        var loss = ModularAdditionLoss.Mean(logits, p, rows);
        return new AblationRow(component, loss, ModularAdditionLoss.Accuracy(logits, p, rows), loss - baseline);
    }

    /// <summary>What each neuron becomes at each row's last position: 0, its clean mean there, or another row's clean value (the rows <see cref="HookWrites.OtherRows"/> draws, as the batched path uses).</summary>
    private static float[] Replacement(ModelSession session, TransformerConfig config, long[] tokens, InterventionKind kind, long seed)
    {
        int rows = tokens.Length / config.NCtx, m = config.DMlp, l = config.NLayers - 1;
        if (kind == InterventionKind.Zero) return new float[rows * m];
        var post = InterventionReads.LastPosition(session.Run(tokens, [HookNames.MlpPost(l)])[HookNames.MlpPost(l)].Data, config.NCtx, m);
        var replacement = new float[rows * m];
        if (kind == InterventionKind.Resample)
        {
            var sources = HookWrites.OtherRows(rows, seed);
            for (var r = 0; r < rows; r++) post.AsSpan(sources[r] * m, m).CopyTo(replacement.AsSpan(r * m, m));
            return replacement;
        }
        var means = new double[m];
        for (var r = 0; r < rows; r++)
            for (var n = 0; n < m; n++) means[n] += post[r * m + n];
        for (var r = 0; r < rows; r++)
            for (var n = 0; n < m; n++) replacement[r * m + n] = (float)(means[n] / rows);
        return replacement;
    }
}
