namespace BitOnnx.Pipelines.Arguments;

/// <summary>
/// One command-line option, stated once: its names, the help a front end shows, the default it names there, what is
/// allowed (the clause every error about it ends with) and, for an option that takes a value, how the value is read.
/// </summary>
public abstract class OptionSpec
{
    private protected OptionSpec(string name, IReadOnlyList<string> aliases, string help, string? defaultShown, string allowed, string? valueName)
    {
        Name = name;
        Aliases = aliases;
        Help = help;
        DefaultShown = defaultShown;
        Allowed = allowed;
        ValueName = valueName;
    }

    /// <summary>The option as typed, e.g. "--p".</summary>
    public string Name { get; }
    public IReadOnlyList<string> Aliases { get; }
    public string Help { get; }
    /// <summary>The default as help shows it (null: none to show).</summary>
    public string? DefaultShown { get; }
    /// <summary>What the option accepts, as a clause: "P is the modulus, a whole number from 2 to 46000".</summary>
    public string Allowed { get; }
    /// <summary>The value's placeholder in help ("N", "li2024|nanda2023"); null for a flag, which takes no value.</summary>
    public string? ValueName { get; }
    public bool IsFlag => ValueName is null;

    public bool Matches(string token) => token == Name || Aliases.Contains(token);

    /// <summary>The help line: the help text and, where there is one, the default.</summary>
    public string Description => DefaultShown is null ? Help : $"{Help} [default: {DefaultShown}]";

    /// <summary>Checks a value without keeping it; throws <see cref="UsageException"/> as <see cref="OptionSpec{T}.Parse"/> does.</summary>
    public abstract void Check(string text);
}

/// <summary>An option whose value reads as a <typeparamref name="T"/>.</summary>
public sealed class OptionSpec<T> : OptionSpec
{
    private readonly Func<string, T> _parse;

    /// <param name="parse">Reads the text; throws <see cref="FormatException"/> whose message says what is wrong with it
    /// ("is not a whole number"), which <see cref="Parse"/> turns into the option's one-sentence error.</param>
    public OptionSpec(string name, string help, string? defaultShown, string allowed, string valueName, Func<string, T> parse, params string[] aliases)
        : base(name, aliases, help, defaultShown, allowed, valueName)
    {
        _parse = parse;
    }

    /// <summary>The value, or a <see cref="UsageException"/>: "--p 'abc' is not a whole number; P is the modulus, ...".</summary>
    public T Parse(string text)
    {
        try
        {
            return _parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{Name} '{text}' {e.Message}; {Allowed}.");
        }
    }

    public override void Check(string text) => Parse(text);
}

/// <summary>An option given or not, with no value (--resume).</summary>
public sealed class FlagSpec(string name, string help) : OptionSpec(name, [], help, null, $"{name} takes no value", null)
{
    public override void Check(string text) =>
        throw new UsageException($"{Name} takes no value, but '{text}' follows it; give {Name} alone.");
}
