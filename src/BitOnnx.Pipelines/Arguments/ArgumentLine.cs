namespace BitOnnx.Pipelines.Arguments;

/// <summary>An option with the text given for it; <see cref="Value"/> is null for a flag.</summary>
public sealed record GivenOption(OptionSpec Option, string? Value);

/// <summary>
/// Reads an argument line as a spec writes it ("--preset li2024 --quant binary --p 31") against a table of options:
/// words split at white space, each option followed by its value, flags alone.
/// </summary>
public static class ArgumentLine
{
    public static IReadOnlyList<string> Words(string line) =>
        line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The options given in <paramref name="line"/>, in order, values checked by each option's reader. Every problem
    /// (an unknown option, a missing value, a stray word, an option given twice, a bad value) is one sentence of one
    /// <see cref="UsageException"/>; <paramref name="command"/> names where to look ("bitonnx train").
    /// </summary>
    public static IReadOnlyList<GivenOption> Parse(string line, IReadOnlyList<OptionSpec> options, string command)
    {
        var words = Words(line);
        var given = new List<GivenOption>();
        var problems = new List<string>();
        OptionSpec? previous = null;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            var option = options.FirstOrDefault(o => o.Matches(word));
            if (option is null)
            {
                if (word.StartsWith('-'))
                    problems.Add($"'{word}' is not an option of {command}; see `{command} --help`.");
                else if (previous is FlagSpec flag)
                    problems.Add(Problem(() => flag.Check(word))!);
                else
                    problems.Add($"'{word}' follows no option; write each value after its option, as in --p 31.");
                previous = null;
                continue;
            }
            previous = option;
            string? value = null;
            if (!option.IsFlag)
            {
                if (i + 1 >= words.Count || options.Any(o => o.Matches(words[i + 1])))
                {
                    problems.Add($"{option.Name} needs a value; {option.Allowed}.");
                    continue;
                }
                value = words[++i];
                if (Problem(() => option.Check(value)) is { } problem) problems.Add(problem);
            }
            if (given.Any(g => g.Option == option))
                problems.Add($"{option.Name} is given twice; give it once.");
            given.Add(new GivenOption(option, value));
        }
        if (problems.Count > 0) throw new UsageException(string.Join(" ", problems));
        return given;
    }

    private static string? Problem(Action check)
    {
        try
        {
            check();
            return null;
        }
        catch (UsageException e)
        {
            return e.Message;
        }
    }

    /// <summary>The options back as a line, in order: what a cell's argument file and a table show.</summary>
    public static string Format(IEnumerable<GivenOption> given) =>
        string.Join(" ", given.Select(g => g.Value is null ? g.Option.Name : $"{g.Option.Name} {g.Value}"));
}
