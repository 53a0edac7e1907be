using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>What <see cref="QuantaTools.Run"/> asks: how many questions, drawn by which seed, and how much PCA.</summary>
public sealed record QuantaToolOptions
{
    /// <summary>Questions drawn as the task's training batches draw them (enriched).</summary>
    public int Questions { get; init; } = 300;
    public long Seed { get; init; } = 1;

    /// <summary>Tri-case questions per case for each PCA (theirs: 100).</summary>
    public int PcaPerCase { get; init; } = 100;

    /// <summary>The most useful head nodes given a PCA and an intervention, by fail percentage.</summary>
    public int MaxPcaNodes { get; init; } = 6;
}

/// <summary>Everything Quirke et al.'s tools found in one model.</summary>
public sealed record QuantaToolsResult(
    ArithmeticTask Task,
    ArithmeticQuestionSet Questions,
    int QuestionsDrawn,
    IReadOnlyList<string> CleanFailures,
    IReadOnlyList<PositionAblation> Positions,
    IReadOnlyList<NodeAblation> Nodes,
    IReadOnlyDictionary<string, IReadOnlyList<AttentionTag>> Attention,
    IReadOnlyList<QuantaMap> Maps,
    IReadOnlyList<InterventionResult> Interventions,
    IReadOnlyList<HeadPcaResult> Pcas)
{
    public IEnumerable<int> UsefulPositions => Positions.Where(p => p.Outcome.Useful).Select(p => p.Position);
    public IEnumerable<NodeAblation> UsefulNodes => Nodes.Where(n => n.Outcome.Useful);
}

/// <summary>
/// Quirke et al.'s tools in their order on any <see cref="IHookedSequenceModel"/>: the questions the model answers
/// (those it fails are set aside, as their test_maths_questions_by_complexity does, since they would fail in every
/// cell), the useful positions, the useful nodes at them, attention tags, the quanta maps, intervention ablations and
/// PCAs of the most useful heads.
/// </summary>
public static class QuantaTools
{
    public static QuantaToolsResult Run(IHookedSequenceModel model, QuantaToolOptions options, IProgress<(string Stage, double Fraction)>? progress = null)
    {
        if (options.Questions < 1) throw new AnalysisInputException($"--questions {options.Questions} is not positive; ask at least one question.");
        var c = model.Config;
        var task = ArithmeticQuestionSet.TaskOf(c);
        var drawn = ArithmeticQuestionSet.Draw(task, options.Questions, options.Seed);
        var clean = AblationOutcome.Measure(model, drawn, []);
        var failed = clean.FailedRows.ToHashSet();
        if (failed.Count == drawn.Count)
            throw new AnalysisInputException($"The model answers none of {drawn.Count} questions; the tools measure what ablation breaks, so give a model that answers (train it further).");
        var set = failed.Count == 0 ? drawn : drawn.Subset(Enumerable.Range(0, drawn.Count).Where(r => !failed.Contains(r)));
        var cleanFailures = clean.FailedRows.Select(r => drawn.Questions[r].FormatWithAnswer()).ToArray();

        var positions = UsefulPositions.Find(model, set, layer: null, Stage(progress, "useful positions"));
        var useful = positions.Where(p => p.Outcome.Useful).Select(p => p.Position).ToArray();
        var nodes = UsefulNodes.Measure(model, set, useful, Stage(progress, "useful nodes"));
        var usefulNodes = nodes.Where(n => n.Outcome.Useful).ToArray();
        var attention = AttentionTags.Of(model, set, usefulNodes.Select(n => n.Node));
        var maps = QuantaMap.Kinds.Select(k => QuantaMap.Build(k, set, nodes, attention, c.NLayers, c.NHeads)).ToArray();

        var top = usefulNodes.Where(n => n.Node.IsHead).OrderByDescending(n => n.Outcome.Fails).ThenBy(n => n.Node.Position)
            .Take(options.MaxPcaNodes).Select(n => n.Node).ToArray();
        var interventions = new List<InterventionResult>();
        var pcas = new List<HeadPcaResult>();
        var pcaProgress = Stage(progress, "interventions and PCA");
        for (int i = 0; i < top.Length; i++)
        {
            if (set.Count >= 2) interventions.Add(InterventionAblation.Run(model, task, top[i], set.Questions[0], set.Questions[1]));
            if (task.Mix != ArithmeticMix.Subtraction && PcaColumn(task, top[i], attention) is int column)
            {
                var questions = TriCaseQuestions.Addition(task.Digits, column, options.PcaPerCase, options.Seed);
                var triSet = new ArithmeticQuestionSet(task, questions);
                var labels = questions.Select(q => TriCaseQuestions.Of(q, column).ToString()).ToArray();
                pcas.Add(HeadPca.Compute(model, triSet, top[i], labels, $"{top[i].Name} A{column} tri-case"));
            }
            pcaProgress?.Report((i + 1.0) / top.Length);
        }
        return new QuantaToolsResult(task, set, drawn.Count, cleanFailures, positions, nodes, attention, maps, interventions, pcas);
    }

    /// <summary>
    /// The column whose tri-case a head's PCA is coloured by: the digit column of the position it attends to most when
    /// that is an operand digit (Dn or D'n), else the column below the answer digit its position predicts.
    /// </summary>
    public static int? PcaColumn(ArithmeticTask task, QuantaNode node, IReadOnlyDictionary<string, IReadOnlyList<AttentionTag>> attention)
    {
        int n = task.Digits;
        if (attention.TryGetValue(node.Name, out var tags))
            foreach (var tag in tags)
            {
                int p = tag.Position;
                if (p < n) return n - 1 - p;
                if (p > n && p <= 2 * n) return 2 * n - p;
            }
        // Position p predicts the token at p + 1, answer digit A(3n + 2 − p); the column below it is 3n + 1 − p.
        int below = 3 * n + 1 - node.Position;
        return below >= 0 && below < n ? below : null;
    }

    private static IProgress<double>? Stage(IProgress<(string, double)>? progress, string stage) =>
        progress is null ? null : new StageProgress(progress, stage);

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class StageProgress(IProgress<(string, double)> progress, string stage) : IProgress<double>
    {
        public void Report(double value) => progress.Report((stage, value));
    }
}
