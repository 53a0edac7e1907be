namespace BitOnnx.Analysis.ClockPizza;

/// <summary>Which modular-addition algorithm the measures point to.</summary>
public enum AlgorithmVerdict
{
    /// <summary>Clock (Nanda et al. 2023): rotations multiplied; asymmetric gradients, distance-irrelevant logits.</summary>
    Clock,

    /// <summary>Pizza (Zhong et al. 2023): embeddings averaged; symmetric gradients, logits depend on a−b.</summary>
    Pizza,

    /// <summary>The two measures disagree (a mixture, accompanied pizzas, or something else).</summary>
    Mixed,

    /// <summary>No measure could be computed.</summary>
    Undetermined,

    /// <summary>The model has not learned the task (<see cref="Analyses.LearningGate"/>): there is no algorithm to name.</summary>
    NotLearned,
}

/// <summary>
/// Thresholds separating clock-like from pizza-like values. Zhong et al. colour their phase diagrams by the raw
/// measures; these cut points are ours, set from their two exemplars (pizza s_g 0.9937 / q 0.17, clock s_g 0.3336 /
/// q 0.85) and from their released table of 1-layer runs (result/1l_fixedwidth.csv in github.com/fjzzq2002/pizza),
/// where pizza runs pile up at s_g ≥ 0.985 and q ≈ 0.5 splits the symmetric from the asymmetric runs.
/// </summary>
public sealed record ClockPizzaThresholds
{
    /// <summary>s_g at or above this is pizza-like.</summary>
    public double PizzaMinGradientSymmetricity { get; init; } = 0.98;

    /// <summary>q at or below this is pizza-like.</summary>
    public double PizzaMaxDistanceIrrelevance { get; init; } = 0.5;
}

/// <summary>The clock-vs-pizza measures of one model and the verdict.</summary>
/// <param name="DistanceIrrelevance">q and its table; null when not computed.</param>
/// <param name="GradientSymmetricity">s_g, when an embedded-input model was available.</param>
/// <param name="Verdict">The verdict.</param>
/// <param name="Reason">One sentence saying why, with the numbers it rests on.</param>
/// <param name="Borderline">True when the model's accuracy is between the learning gate's thresholds: the verdict stands, marked.</param>
public sealed record ClockPizzaResult(DistanceIrrelevanceResult? DistanceIrrelevance, GradientSymmetricityResult? GradientSymmetricity,
    AlgorithmVerdict Verdict, string Reason, bool Borderline = false);

/// <summary>Combines the two measures into a verdict, for a model that has learned the task.</summary>
public static class ClockPizzaVerdict
{
    /// <summary>The verdict as the report, summary.json and the CSVs write it: clock, pizza, mixed, undetermined, not-learned.</summary>
    public static string Name(this AlgorithmVerdict verdict) => verdict == AlgorithmVerdict.NotLearned ? "not-learned" : verdict.ToString().ToLowerInvariant();

    /// <summary>No verdict: the measures describe an algorithm only in a model that computes the task.</summary>
    public static ClockPizzaResult NotLearned(Analyses.LearningGate learning) =>
        new(null, null, AlgorithmVerdict.NotLearned,
            $"The model has not learned the task ({learning.Evidence}); there is no algorithm to call clock or pizza, so neither measure is taken.");

    /// <summary>Decides from whichever measures are present; a borderline model's verdict says so.</summary>
    public static ClockPizzaResult Decide(DistanceIrrelevanceResult? q, GradientSymmetricityResult? sg, ClockPizzaThresholds t,
        Analyses.LearningGate learning)
    {
        bool? qPizza = q is null || double.IsNaN(q.Value) ? null : q.Value <= t.PizzaMaxDistanceIrrelevance;
        bool? sPizza = sg is null || double.IsNaN(sg.Value) ? null : sg.Value >= t.PizzaMinGradientSymmetricity;
        string qText = q is null ? "" : $"distance irrelevance {q.Value:0.000} ({(qPizza == true ? "≤" : ">")} {t.PizzaMaxDistanceIrrelevance})";
        string sText = sg is null ? "" : $"gradient symmetricity {sg.Value:0.000} ({(sPizza == true ? "≥" : "<")} {t.PizzaMinGradientSymmetricity})";

        (AlgorithmVerdict verdict, string reason) = (qPizza, sPizza) switch
        {
            (null, null) => (AlgorithmVerdict.Undetermined, "No logits and no embedded-input model: neither measure could be computed."),
            (true, true) => (AlgorithmVerdict.Pizza, $"Both measures are pizza-like: {sText}, {qText}."),
            (false, false) => (AlgorithmVerdict.Clock, $"Both measures are clock-like: {sText}, {qText}."),
            (bool a, bool b) => (AlgorithmVerdict.Mixed, $"The measures disagree: {sText} is {(b ? "pizza" : "clock")}-like, {qText} is {(a ? "pizza" : "clock")}-like."),
            (bool a, null) => (a ? AlgorithmVerdict.Pizza : AlgorithmVerdict.Clock,
                $"From distance irrelevance alone ({qText}); gradient symmetricity needs an embedded-input model."),
            (null, bool b) => (b ? AlgorithmVerdict.Pizza : AlgorithmVerdict.Clock, $"From gradient symmetricity alone ({sText})."),
        };
        var borderline = learning.Status == Analyses.LearningStatus.Borderline;
        reason = borderline
            ? $"Borderline: the model has only partly learned the task ({learning.Evidence}), so the measures may describe a mixture. {reason}"
            : $"{reason} The model has learned the task ({learning.Evidence}).";
        return new ClockPizzaResult(q, sg, verdict, reason, borderline);
    }
}
