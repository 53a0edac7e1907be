using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.RegularExpressions;
using BitOnnx.Core;
using BitOnnx.Pipelines.Arguments;
using Spectre.Console;

namespace BitOnnx.Cli;

/// <summary>Runs a parsed command and turns every failure a user can cause into one clear line and a non-zero exit.</summary>
public static partial class CliRunner
{
    public const int ExitError = 1;
    /// <summary>The command line could not be used as written (a parse error, a bad value): nothing was done.</summary>
    public const int ExitUsage = 2;
    public const int ExitInterrupted = 130;

    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            var parsed = root.Parse(args);
            // System.CommandLine would print its errors and the whole help; one line that names the token and where
            // the help is keeps the promise every other failure keeps. --help itself parses without errors.
            if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction) return ParseFailure(parsed);
            return parsed.Invoke();
        }
        catch (Exception e)
        {
            return Fail(e);
        }
    }

    /// <summary>Wraps a command body: known failures print their message; anything else prints without a stack trace.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Fail(e);
        }
    }

    private static int ParseFailure(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, result.Parent is null ? "bitonnx" : result.Command.Name);
        var command = string.Join(' ', names);
        // One error: a token it does not know first (a misspelt option leaves its value stray, a misspelt command
        // leaves no command), else the first.
        var token = parsed.UnmatchedTokens.FirstOrDefault();
        var message = token is not null && parsed.Errors.Any(e => e.Message.Contains($"'{token}'", StringComparison.Ordinal))
            ? Unrecognized(token, parsed.CommandResult.Command, command)
            : Listed(Readable(parsed.Errors[0].Message.Trim())).TrimEnd('.');
        Console.Error.WriteLine($"error: {message}; see `{command} --help`.");
        return ExitUsage;
    }

    /// <summary>"'--pp' is not an option of bitonnx train (did you mean --p?)": the names one edit away, or more for long tokens.</summary>
    private static string Unrecognized(string token, Command command, string commandPath)
    {
        var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(command.Subcommands.Select(c => c.Name));
        var near = names.Select(n => (Name: n, Distance: EditDistance(token, n)))
            .Where(n => n.Distance <= Math.Max(1, token.Length / 4)).OrderBy(n => n.Distance).ThenBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => n.Name).Take(3).ToList();
        var what = token.StartsWith('-') ? "an option" : "a command or argument";
        return $"'{token}' is not {what} of {commandPath}" + (near.Count > 0 ? $" (did you mean {string.Join(" or ", near)}?)" : "");
    }

    /// <summary>Edits (insert, delete, substitute, swap two neighbours) from one name to another: "trian" is one from "train".</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>
    /// A value outside an option's allowed ones comes as the message, then one allowed value a line: "Must be one of:
    /// 'acdc', 'eap', 'eap-ig'" keeps them on the one line.
    /// </summary>
    private static string Listed(string message)
    {
        var lines = message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 1 ? lines[0] : lines[0] + " " + string.Join(", ", lines.Skip(1));
    }

    /// <summary>System.CommandLine names the .NET type a value did not convert to; say what the value must be instead.</summary>
    private static string Readable(string message) => ExpectedType().Replace(message, m => m.Groups[1].Value switch
    {
        // Nullable`1[[System.Double, ...]] and the like: the type inside decides.
        var t when t.Contains("Int32", StringComparison.Ordinal) || t.Contains("Int64", StringComparison.Ordinal) => "as a whole number",
        var t when t.Contains("Double", StringComparison.Ordinal) || t.Contains("Single", StringComparison.Ordinal) => "as a number",
        var t when t.Contains("Boolean", StringComparison.Ordinal) => "as true or false",
        _ => "as the kind of value it takes",
    });

    [GeneratedRegex(@"as expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    private static int Fail(Exception e)
    {
        // BitOnnxException is every failure the library knows a user can cause and fix; IO errors come from paths the user
        // gave. Anything else is a bug: one line says so, and where the details are.
        var known = e is BitOnnxException or IOException or UnauthorizedAccessException;
        var message = known
            ? e.Message
            : $"internal error ({e.GetType().Name}: {OneLine(e.Message)}). This is a bug in bitonnx: please report it with the command you ran and what BITONNX_DEBUG=1 prints.";
        AnsiConsole.Console.Profile.Out.Writer.Flush();
        Console.Error.WriteLine($"error: {OneLine(message)}");
        if (Environment.GetEnvironmentVariable("BITONNX_DEBUG") == "1") Console.Error.WriteLine(e);
        return e is UsageException ? ExitUsage : ExitError;
    }

    /// <summary>Messages are one line: a multi-line message (a list of missing probes) is joined with "; ".</summary>
    private static string OneLine(string message) =>
        string.Join("; ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>A command-line input that cannot be acted on; the message says what to do instead.</summary>
public sealed class CliException(string message) : BitOnnxException(message);
