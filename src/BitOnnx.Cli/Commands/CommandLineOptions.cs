using System.CommandLine;
using BitOnnx.Pipelines.Arguments;

namespace BitOnnx.Cli.Commands;

/// <summary>
/// System.CommandLine options made from a library table of <see cref="OptionSpec"/>s. Every value is taken as text, so
/// that the table's reader, not a type converter, says what is wrong with it; help shows each option's placeholder,
/// help text and default as the table states them.
/// </summary>
internal sealed class CommandLineOptions
{
    private readonly List<(OptionSpec Spec, Option Option)> _options;

    public CommandLineOptions(IEnumerable<OptionSpec> specs)
    {
        _options = specs.Select(spec => (spec, spec.IsFlag
            ? (Option)new Option<bool>(spec.Name, spec.Aliases.ToArray()) { Description = spec.Description, Arity = ArgumentArity.Zero }
            : new Option<string>(spec.Name, spec.Aliases.ToArray()) { Description = spec.Description, HelpName = spec.ValueName })).ToList();
    }

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
    }

    /// <summary>The options the command line gave, with their text (null for a flag), in the table's order.</summary>
    public IReadOnlyList<GivenOption> Given(ParseResult parsed) =>
        _options.Where(o => parsed.GetResult(o.Option) is { Implicit: false })
            .Select(o => new GivenOption(o.Spec, o.Option is Option<string> text ? parsed.GetValue(text) : null))
            .ToList();
}
