using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;

namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>
/// n-digit addition, subtraction or both, as Quirke, Neo and Barez (2024, arXiv 2402.02619) train it: sequences of
/// 3n + 4 tokens (<see cref="ArithmeticQuestion"/>), the loss on the n + 2 answer tokens only, each predicted from the
/// token before it, and a fresh seeded batch every step (<see cref="ArithmeticEnrichment"/>). Slots are named as they
/// name answer tokens: A0 the units, A(n) the leading digit, A(n+1) the sign ("Amax").
/// </summary>
public sealed class ArithmeticTask : IFreshBatchTask
{
    public ArithmeticTask(int digits, ArithmeticMix mix, ArithmeticEnrichment? enrichment = null)
    {
        if (digits < 1 || digits > ArithmeticQuestion.MaxDigits)
            throw new ConfigException($"An arithmetic task has 1 to {ArithmeticQuestion.MaxDigits} digits per operand (got {digits}).");
        Enrichment = enrichment ?? ArithmeticEnrichment.Quirke2024;
        var problems = Enrichment.Problems();
        if (problems.Count > 0) throw new ConfigException("Invalid enrichment: " + string.Join(" ", problems));
        Digits = digits;
        Mix = mix;
        int sign = ArithmeticQuestion.SignPosition(digits);
        var slots = new PredictionSlot[digits + 2];
        for (int k = 0; k < slots.Length; k++)
            slots[k] = new PredictionSlot("A" + (digits + 1 - k).ToString(CultureInfo.InvariantCulture), sign - 1 + k, sign + k);
        Slots = slots;
    }

    public int Digits { get; }
    public ArithmeticMix Mix { get; }
    public ArithmeticEnrichment Enrichment { get; }

    /// <summary>"add5", "sub5", "mix5".</summary>
    public string Name => Mix switch
    {
        ArithmeticMix.Addition => "add",
        ArithmeticMix.Subtraction => "sub",
        _ => "mix",
    } + Digits.ToString(CultureInfo.InvariantCulture);

    /// <summary>The task named "add5", "sub12", "mix6": the operations, then the digits per operand.</summary>
    public static ArithmeticTask FromName(string name, ArithmeticEnrichment? enrichment = null)
    {
        string hint = $"arithmetic tasks are named add, sub or mix followed by the digits per operand (1 to {ArithmeticQuestion.MaxDigits}), as add5";
        if (string.IsNullOrEmpty(name) || name.Length < 4) throw new ConfigException($"'{name}' is not a task name; {hint}.");
        var mix = name[..3] switch
        {
            "add" => ArithmeticMix.Addition,
            "sub" => ArithmeticMix.Subtraction,
            "mix" => ArithmeticMix.Mixed,
            _ => throw new ConfigException($"'{name}' is not a task name; {hint}."),
        };
        if (!int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int digits) || digits < 1 || digits > ArithmeticQuestion.MaxDigits)
            throw new ConfigException($"'{name}' is not a task name; {hint}.");
        return new ArithmeticTask(digits, mix, enrichment);
    }

    public TokenVocabulary Vocabulary => ArithmeticTokens.Vocabulary;
    public int OutputVocabularySize => ArithmeticTokens.VocabularySize;
    public int ContextLength => ArithmeticQuestion.ContextLength(Digits);
    public IReadOnlyList<PredictionSlot> Slots { get; }

    public LabelledBatch Batch(long seed, long step, int batchSize) => Generate(seed, step, batchSize).Labelled;

    /// <summary>The batch of <paramref name="step"/> with its questions and how each part was enriched.</summary>
    public ArithmeticBatch Generate(long seed, long step, int batchSize)
    {
        if (batchSize < 1) throw new ConfigException($"The batch size must be at least 1 (got {batchSize}).");
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), "Steps count from 0.");
        var random = StepRandom(seed, step);
        var questions = new ArithmeticQuestion[batchSize];
        var parts = new List<ArithmeticBatchPart>(2);
        int subtractions = Mix switch
        {
            ArithmeticMix.Addition => 0,
            ArithmeticMix.Subtraction => batchSize,
            _ => batchSize * Enrichment.SubtractionPercent / 100,
        };
        if (batchSize - subtractions > 0) parts.Add(DrawAdditions(random, questions.AsSpan(0, batchSize - subtractions), 0));
        if (subtractions > 0) parts.Add(DrawSubtractions(random, questions.AsSpan(batchSize - subtractions), batchSize - subtractions));
        int n = ContextLength;
        var tokens = new int[batchSize * n];
        for (int i = 0; i < batchSize; i++) questions[i].WriteTokens(tokens.AsSpan(i * n, n));
        return new ArithmeticBatch(questions, parts, LabelledBatch.FromSequences(this, tokens));
    }

    /// <summary>
    /// Parses a question strictly (<see cref="ArithmeticQuestion.Parse"/>) and checks that this task asks its
    /// operation: an addition model is not asked to subtract.
    /// </summary>
    public ArithmeticQuestion ParseQuestion(string text)
    {
        var question = ArithmeticQuestion.Parse(text, Digits);
        if (Mix == ArithmeticMix.Addition && question.Operation != ArithmeticOperation.Addition)
            throw new BitOnnxException($"'{text}' subtracts, but this task ({Name}) only adds; ask an addition question, as {question.Format().Replace('-', '+')}.");
        if (Mix == ArithmeticMix.Subtraction && question.Operation != ArithmeticOperation.Subtraction)
            throw new BitOnnxException($"'{text}' adds, but this task ({Name}) only subtracts; ask a subtraction question, as {question.Format().Replace('+', '-')}.");
        return question;
    }

    /// <summary>
    /// One stream per (seed, step): the batch of a step is drawn alone, so a run resumed at step s draws what it would
    /// have drawn, and the streams of neighbouring steps share nothing.
    /// </summary>
    private static SeededRandom StepRandom(long seed, long step)
    {
        ulong key = SeededRandom.ForPurpose(seed, "arithmetic-batches").NextUInt64();
        // A bijective mix of the step (SplitMix64's finaliser), so that key ^ mix(step) differs for every step.
        ulong z = unchecked((ulong)step * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return new SeededRandom(key ^ z ^ (z >> 31));
    }

    private ArithmeticBatchPart DrawAdditions(SeededRandom random, Span<ArithmeticQuestion> questions, int start)
    {
        int n = Digits, rows = questions.Length;
        var x = UniformDigits(random, rows * n);
        var y = UniformDigits(random, rows * n);
        var kind = EnrichmentKind.None;
        if (random.NextDouble() < Enrichment.EnrichedBatchFraction)
        {
            kind = EnrichmentKind.SumNine;
            int rewrite = (int)(Enrichment.SumNineDigitFraction * x.Length);
            bool rewriteFirst = random.NextInt(2) == 0;
            // The first `rewrite` entries of a partial Fisher–Yates shuffle: distinct positions, uniformly drawn.
            var positions = Enumerable.Range(0, x.Length).ToArray();
            for (int i = 0; i < rewrite; i++)
            {
                int j = i + random.NextInt(positions.Length - i);
                (positions[i], positions[j]) = (positions[j], positions[i]);
                int at = positions[i];
                if (rewriteFirst) x[at] = 9 - y[at];
                else y[at] = 9 - x[at];
            }
        }
        Fill(questions, x, y, ArithmeticOperation.Addition);
        return new ArithmeticBatchPart(ArithmeticOperation.Addition, start, rows, kind);
    }

    private ArithmeticBatchPart DrawSubtractions(SeededRandom random, Span<ArithmeticQuestion> questions, int start)
    {
        int rows = questions.Length;
        var x = UniformDigits(random, rows * Digits);
        var y = UniformDigits(random, rows * Digits);
        var kind = EnrichmentKind.None;
        if (random.NextDouble() < Enrichment.EnrichedBatchFraction)
        {
            if (random.NextDouble() < Enrichment.EqualOperandsFraction)
            {
                kind = EnrichmentKind.EqualOperands;
                x.CopyTo(y, 0);
            }
            else
            {
                kind = EnrichmentKind.IncrementSecond;
                for (int i = 0; i < y.Length; i++) if (y[i] < 9) y[i]++;
            }
        }
        Fill(questions, x, y, ArithmeticOperation.Subtraction);
        return new ArithmeticBatchPart(ArithmeticOperation.Subtraction, start, rows, kind);
    }

    private static int[] UniformDigits(SeededRandom random, int count)
    {
        var digits = new int[count];
        for (int i = 0; i < count; i++) digits[i] = random.NextInt(10);
        return digits;
    }

    /// <summary>Row i's operands from digits [rows, n], most significant first.</summary>
    private void Fill(Span<ArithmeticQuestion> questions, int[] x, int[] y, ArithmeticOperation operation)
    {
        int n = Digits;
        for (int i = 0; i < questions.Length; i++)
        {
            long a = 0, b = 0;
            for (int d = 0; d < n; d++)
            {
                a = a * 10 + x[i * n + d];
                b = b * 10 + y[i * n + d];
            }
            questions[i] = new ArithmeticQuestion(a, b, operation, n);
        }
    }
}
