using System.CommandLine;
using BitOnnx.Core;
using Spectre.Console;

namespace BitOnnx.Cli;

/// <summary>Runs a parsed command and turns every failure a user can cause into one clear line and a non-zero exit.</summary>
public static class CliRunner
{
    public const int ExitError = 1;
    public const int ExitInterrupted = 130;

    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke();
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
        return ExitError;
    }

    /// <summary>Messages are one line: a multi-line message (a list of missing probes) is joined with "; ".</summary>
    private static string OneLine(string message) =>
        string.Join("; ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>A command-line input that cannot be acted on; the message says what to do instead.</summary>
public sealed class CliException(string message) : BitOnnxException(message);
