using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// One intervention: question A's value of a head node written into question B's pass. <see cref="Impact"/> names the
/// answer digits of B that changed from B's correct answer (their get_answer_impact), <see cref="FollowsA"/> those of
/// them that now read as A's correct answer's digit.
/// </summary>
public sealed record InterventionResult(QuantaNode Node, ArithmeticQuestion A, ArithmeticQuestion B, string CleanAnswer, string InterveneAnswer, string Impact, string FollowsA)
{
    /// <summary>"12345+54321=+066666 ← P14L0H1 of 99999+00001: +066666 → +076666 (A4; follows A in A4)".</summary>
    public string Describe() =>
        $"{B.FormatWithAnswer()} with {Node.Name} of {A.Format()}: {CleanAnswer} → {InterveneAnswer}" +
        (Impact.Length == 0 ? " (no impact)" : $" ({Impact}" + (FollowsA.Length == 0 ? ")" : $"; follows A in {FollowsA})"));
}

/// <summary>
/// Quirke et al.'s intervention ablation (a_run_attention_intervention, a "noising" ablation): A's pass stores the
/// node's hook_z (or mlp.hook_post) and B's pass runs with that slice written in; B's answer is read as every tool reads
/// it, teacher-forced on B's own sequence.
/// </summary>
public static class InterventionAblation
{
    public static InterventionResult Run(IHookedSequenceModel model, ArithmeticTask task, QuantaNode node, ArithmeticQuestion a, ArithmeticQuestion b)
    {
        var c = model.Config;
        var pair = new ArithmeticQuestionSet(task, [a, b]);
        var store = model.Run(pair.Tokens.AsSpan(0, pair.Length).ToArray(), 1, pair.Length, [], [node.Hook]).Hooks[node.Hook];
        var bOnly = new ArithmeticQuestionSet(task, [b]);
        var clean = bOnly.Answers(model, [])[0];
        var intervened = bOnly.Answers(model, [new SequenceHookWrite(node.Hook, node.Mask(c, pair.Length), store)])[0];
        var follows = new List<int>();
        var changed = new List<int>();
        for (int k = 0; k < bOnly.AnswerTokens; k++)
        {
            if (intervened[k] == bOnly.Correct(0, k)) continue;
            int digit = task.Digits + 1 - k;
            changed.Add(digit);
            if (intervened[k] == pair.Correct(0, k)) follows.Add(digit);
        }
        string Text(int[] answer) => string.Concat(answer.Select(ArithmeticTokens.Vocabulary.Name));
        return new InterventionResult(node, a, b, Text(clean), Text(intervened), AnswerImpact.Name(changed), AnswerImpact.Name(follows));
    }
}
