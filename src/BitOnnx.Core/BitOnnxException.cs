namespace BitOnnx.Core;

/// <summary>
/// The base of every failure a user can cause and fix (a bad setting, a missing or corrupt file, a model without the
/// probes an analysis needs). The message is one sentence: what was wrong and what to do. Front ends print it as is;
/// any other exception is a bug.
/// </summary>
public class BitOnnxException : Exception
{
    public BitOnnxException(string message) : base(OneLine(message)) { }

    public BitOnnxException(string message, Exception inner) : base(OneLine(message), inner) { }

    /// <summary>
    /// The text on one line: line breaks (in a quoted parser error, a list of problems) become "; ". Every message of
    /// this type goes through it, so a front end can print it as one line whatever it quotes.
    /// </summary>
    public static string OneLine(string text) =>
        string.Join("; ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
