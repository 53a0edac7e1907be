namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>
/// How Quirke et al. (2024, arXiv 2402.02619; their generator in PhilipQuirke/quanta_maths) bias the fresh batches
/// towards the hard cases. Each batch (each operation's part of a mixed batch) is enriched with probability
/// <see cref="EnrichedBatchFraction"/>:
/// <list type="bullet">
/// <item>addition: <see cref="SumNineDigitFraction"/> of the part's digit positions (exactly ⌊0.4 · rows · n⌋, drawn
/// without replacement) are rewritten so that D + D' = 9, by setting D = 9 − D' or, on a fair coin for the whole part,
/// D' = 9 − D; carry cascades through sum-9 columns become common;</item>
/// <item>subtraction: every digit of the second operand below 9 is incremented (more negative answers), except that
/// with probability <see cref="EqualOperandsFraction"/> the enriched part instead copies x into y (x − x = +0…0, an
/// answer some of their models signed wrongly). This is our reading of "1% of batches use y = x": it is
/// 1% of the enriched subtraction batches, as their generator draws it, so 0.6% of all subtraction batches.</item>
/// </list>
/// Mixed batches hold ⌊rows · <see cref="SubtractionPercent"/> / 100⌋ subtraction questions after the addition ones,
/// each part drawn and enriched on its own. Their code's comment says 60% of batches; its draw
/// (<c>randint(1, 5) &lt; 3</c>) enriches 40%; we follow the stated 60%, and the setting can say otherwise.
/// </summary>
public sealed record ArithmeticEnrichment
{
    public double EnrichedBatchFraction { get; init; } = 0.6;
    public double SumNineDigitFraction { get; init; } = 0.4;
    public double EqualOperandsFraction { get; init; } = 0.01;
    public int SubtractionPercent { get; init; } = 66;

    public static ArithmeticEnrichment Quirke2024 { get; } = new();

    /// <summary>Plain uniform questions: no batch is enriched.</summary>
    public static ArithmeticEnrichment None { get; } = new() { EnrichedBatchFraction = 0 };

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!(EnrichedBatchFraction >= 0 && EnrichedBatchFraction <= 1)) problems.Add($"the enriched batch fraction must lie in [0, 1] (got {EnrichedBatchFraction}).");
        if (!(SumNineDigitFraction >= 0 && SumNineDigitFraction <= 1)) problems.Add($"the sum-9 digit fraction must lie in [0, 1] (got {SumNineDigitFraction}).");
        if (!(EqualOperandsFraction >= 0 && EqualOperandsFraction <= 1)) problems.Add($"the equal-operands fraction must lie in [0, 1] (got {EqualOperandsFraction}).");
        if (SubtractionPercent is < 0 or > 100) problems.Add($"the subtraction percent must lie in 0..100 (got {SubtractionPercent}).");
        return problems;
    }
}

/// <summary>What enrichment a batch part received.</summary>
public enum EnrichmentKind
{
    None,
    /// <summary>Addition: a share of digit positions rewritten to D + D' = 9.</summary>
    SumNine,
    /// <summary>Subtraction: second-operand digits below 9 incremented.</summary>
    IncrementSecond,
    /// <summary>Subtraction: y = x.</summary>
    EqualOperands,
}

/// <summary>Rows [Start, Start + Count) of a batch: one operation, enriched as <see cref="Enrichment"/> says.</summary>
public sealed record ArithmeticBatchPart(ArithmeticOperation Operation, int Start, int Count, EnrichmentKind Enrichment);

/// <summary>A generated batch: its questions, how each part was drawn, and the labelled sequences.</summary>
public sealed record ArithmeticBatch(IReadOnlyList<ArithmeticQuestion> Questions, IReadOnlyList<ArithmeticBatchPart> Parts, LabelledBatch Labelled);
