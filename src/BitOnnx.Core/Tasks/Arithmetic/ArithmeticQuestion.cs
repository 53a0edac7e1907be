using System.Globalization;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>
/// One question x ± y on <see cref="Digits"/>-digit operands, as Quirke et al. write it: each operand at its full width
/// with leading zeros, most significant digit first, then '=', the answer's sign and its n + 1 digits:
/// <c>133357+182243=+0315600</c>, <c>123450-345670=-0123230</c>. The sequence is 3n + 4 tokens.
/// </summary>
public readonly record struct ArithmeticQuestion
{
    /// <summary>10^18 still fits a long, and so does the sum of two 18-digit operands.</summary>
    public const int MaxDigits = 18;

    public ArithmeticQuestion(long x, long y, ArithmeticOperation operation, int digits)
    {
        CheckDigits(digits);
        long limit = Pow10(digits);
        if (x < 0 || x >= limit || y < 0 || y >= limit)
            throw new ArgumentOutOfRangeException(nameof(x), $"Operands {x} and {y} must lie in 0..{limit - 1} for {digits} digits.");
        X = x;
        Y = y;
        Operation = operation;
        Digits = digits;
    }

    public long X { get; }
    public long Y { get; }
    public ArithmeticOperation Operation { get; }
    public int Digits { get; }

    public long Answer => Operation == ArithmeticOperation.Addition ? X + Y : X - Y;

    /// <summary>n_ctx = 3n + 4: two operands, the operator, '=', the sign and n + 1 answer digits.</summary>
    public static int ContextLength(int digits) => 3 * digits + 4;

    /// <summary>Position of the answer's sign; the answer's digits follow it.</summary>
    public static int SignPosition(int digits) => 2 * digits + 2;

    /// <summary>Digit <paramref name="column"/> of x (column 0 the units: Quirke et al.'s Dn).</summary>
    public int XDigit(int column) => (int)(X / Pow10(column) % 10);

    /// <summary>Digit <paramref name="column"/> of y (Quirke et al.'s D'n).</summary>
    public int YDigit(int column) => (int)(Y / Pow10(column) % 10);

    /// <summary>"12345+54321".</summary>
    public string Format()
    {
        var width = "D" + Digits.ToString(CultureInfo.InvariantCulture);
        return X.ToString(width, CultureInfo.InvariantCulture) + (Operation == ArithmeticOperation.Addition ? "+" : "-")
            + Y.ToString(width, CultureInfo.InvariantCulture);
    }

    /// <summary>"12345+54321=+066666".</summary>
    public string FormatWithAnswer() => Format() + "=" + FormatAnswer(Answer, Digits);

    /// <summary>"+066666": the sign and n + 1 digits. Zero is "+000000".</summary>
    public static string FormatAnswer(long answer, int digits) =>
        (answer < 0 ? "-" : "+") + Math.Abs(answer).ToString("D" + (digits + 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The whole sequence, question and answer, into <paramref name="tokens"/> (3n + 4 of them).</summary>
    public void WriteTokens(Span<int> tokens)
    {
        int n = Digits;
        if (tokens.Length != ContextLength(n)) throw new ArgumentException($"A {n}-digit sequence has {ContextLength(n)} tokens, not {tokens.Length}.", nameof(tokens));
        WriteDigits(tokens[..n], X);
        tokens[n] = ArithmeticTokens.Of(Operation);
        WriteDigits(tokens.Slice(n + 1, n), Y);
        tokens[2 * n + 1] = ArithmeticTokens.EqualsSign;
        long answer = Answer;
        tokens[2 * n + 2] = answer < 0 ? ArithmeticTokens.Minus : ArithmeticTokens.Plus;
        WriteDigits(tokens.Slice(2 * n + 3, n + 1), Math.Abs(answer));
    }

    /// <summary>The question part of a sequence (its first 2n + 2 tokens, up to and including '=').</summary>
    public static ArithmeticQuestion FromTokens(ReadOnlySpan<int> tokens, int digits)
    {
        CheckDigits(digits);
        int n = digits;
        if (tokens.Length < 2 * n + 2) throw new BitOnnxException($"A {n}-digit question has {2 * n + 2} tokens up to '=', not {tokens.Length}; pass the whole sequence.");
        var operation = tokens[n] switch
        {
            ArithmeticTokens.Plus => ArithmeticOperation.Addition,
            ArithmeticTokens.Minus => ArithmeticOperation.Subtraction,
            var t => throw new BitOnnxException($"Token {n} is {t}, not '+' ({ArithmeticTokens.Plus}) or '-' ({ArithmeticTokens.Minus}); the sequence is not a {n}-digit question."),
        };
        if (tokens[2 * n + 1] != ArithmeticTokens.EqualsSign)
            throw new BitOnnxException($"Token {2 * n + 1} is {tokens[2 * n + 1]}, not '=' ({ArithmeticTokens.EqualsSign}); the sequence is not a {n}-digit question.");
        return new ArithmeticQuestion(ReadDigits(tokens[..n]), ReadDigits(tokens.Slice(n + 1, n)), operation, n);
    }

    /// <summary>The signed answer written in a sequence's last n + 2 tokens (a model's, say).</summary>
    public static long AnswerFromTokens(ReadOnlySpan<int> tokens, int digits)
    {
        CheckDigits(digits);
        if (tokens.Length != ContextLength(digits)) throw new BitOnnxException($"A {digits}-digit sequence has {ContextLength(digits)} tokens, not {tokens.Length}.");
        int sign = tokens[SignPosition(digits)];
        if (sign != ArithmeticTokens.Plus && sign != ArithmeticTokens.Minus)
            throw new BitOnnxException($"The answer's sign token is {sign}, not '+' or '-'.");
        long value = ReadDigits(tokens[(SignPosition(digits) + 1)..]);
        return sign == ArithmeticTokens.Minus ? -value : value;
    }

    /// <summary>
    /// Parses "12345+54321" strictly: two operands of exactly <paramref name="digits"/> digits joined by '+' or '-',
    /// nothing else. A bad question is a <see cref="BitOnnxException"/> whose one sentence says what to type.
    /// </summary>
    public static ArithmeticQuestion Parse(string text, int digits)
    {
        CheckDigits(digits);
        string example = Example(digits);
        if (string.IsNullOrEmpty(text)) throw new BitOnnxException($"The question is empty; write two {digits}-digit operands joined by + or -, as {example}.");
        string quoted = text.Length > 40 ? text[..40] + "..." : text;
        int operatorAt = -1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is >= '0' and <= '9') continue;
            if (c is '+' or '-')
            {
                if (operatorAt >= 0) throw new BitOnnxException($"'{quoted}' has more than one operator; write one + or - between two {digits}-digit operands, as {example}.");
                operatorAt = i;
                continue;
            }
            if (i == digits && operatorAt < 0 && text.Length == 2 * digits + 1 && IsAllDigits(text.AsSpan(0, digits)) && IsAllDigits(text.AsSpan(digits + 1)))
                throw new BitOnnxException($"'{quoted}' uses the operator '{c}', which this task does not know; use + or -, as {example}.");
            throw new BitOnnxException($"'{quoted}' is not a {digits}-digit question: '{c}' at character {i + 1} is neither a digit nor + or -; write two {digits}-digit operands joined by + or -, as {example}.");
        }
        if (operatorAt < 0) throw new BitOnnxException($"'{quoted}' has no + or -; write two {digits}-digit operands joined by + or -, as {example}.");
        int first = operatorAt, second = text.Length - operatorAt - 1;
        if (first != digits || second != digits)
        {
            string which = first != digits ? $"the first operand has {first} digit{(first == 1 ? "" : "s")}" : $"the second operand has {second} digit{(second == 1 ? "" : "s")}";
            throw new BitOnnxException($"'{quoted}' is not a {digits}-digit question: {which}; write each operand with exactly {digits} digits, leading zeros included, as {example}.");
        }
        var operation = text[operatorAt] == '+' ? ArithmeticOperation.Addition : ArithmeticOperation.Subtraction;
        return new ArithmeticQuestion(long.Parse(text.AsSpan(0, digits), CultureInfo.InvariantCulture),
            long.Parse(text.AsSpan(digits + 1), CultureInfo.InvariantCulture), operation, digits);
    }

    public override string ToString() => FormatWithAnswer();

    internal static long Pow10(int exponent)
    {
        long p = 1;
        for (int i = 0; i < exponent; i++) p *= 10;
        return p;
    }

    private static string Example(int digits) =>
        string.Concat(Enumerable.Range(0, digits).Select(i => (char)('1' + i % 9))) + "+" + string.Concat(Enumerable.Range(0, digits).Select(i => (char)('1' + (digits - 1 - i) % 9)));

    private static bool IsAllDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text) if (c is < '0' or > '9') return false;
        return true;
    }

    private static void CheckDigits(int digits)
    {
        if (digits < 1 || digits > MaxDigits) throw new ConfigException($"An arithmetic task has 1 to {MaxDigits} digits per operand (got {digits}).");
    }

    private static void WriteDigits(Span<int> tokens, long value)
    {
        for (int i = tokens.Length - 1; i >= 0; i--)
        {
            tokens[i] = (int)(value % 10);
            value /= 10;
        }
    }

    private static long ReadDigits(ReadOnlySpan<int> tokens)
    {
        long value = 0;
        foreach (var t in tokens)
        {
            if (t is < 0 or > 9) throw new BitOnnxException($"Token {t} stands where a digit must; the sequence is not an arithmetic question.");
            value = value * 10 + t;
        }
        return value;
    }
}
