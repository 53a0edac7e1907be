namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>
/// The n-digit arithmetic vocabulary of Quirke, Neo and Barez (2024, arXiv 2402.02619): digits 0–9 are tokens 0–9,
/// then '+', '-', '='. Their code has d_vocab 15: 13 ('*') and 14 ('/') are kept for multiplication and division,
/// which this task never generates, so that a model's shapes match theirs.
/// </summary>
public static class ArithmeticTokens
{
    public const int Plus = 10;
    public const int Minus = 11;
    public const int EqualsSign = 12;
    /// <summary>Reserved, never generated.</summary>
    public const int Times = 13;
    /// <summary>Reserved, never generated.</summary>
    public const int Divide = 14;
    public const int VocabularySize = 15;

    public static TokenVocabulary Vocabulary { get; } =
        new(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "-", "=", "*", "/"]);

    /// <summary>The operator token of an operation.</summary>
    public static int Of(ArithmeticOperation operation) => operation == ArithmeticOperation.Addition ? Plus : Minus;
}

public enum ArithmeticOperation
{
    Addition,
    Subtraction,
}

/// <summary>Which operations a task asks: one of them, or both (Quirke et al.'s mixed models, mostly subtraction).</summary>
public enum ArithmeticMix
{
    Addition,
    Subtraction,
    Mixed,
}
