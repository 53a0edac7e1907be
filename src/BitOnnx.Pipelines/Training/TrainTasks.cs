using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Sequence;
using static BitOnnx.Pipelines.Arguments.OptionValues;

namespace BitOnnx.Pipelines.Training;

/// <summary>
/// `bitonnx train --task`: which table reads the rest of the command line. Modular addition (the default) goes to
/// <see cref="TrainArguments"/>, an arithmetic task (addN, subN, mixN) to <see cref="SequenceTrainArguments"/>. The
/// command's help is both tables in one (<see cref="Options"/>): an option both have shows both defaults, and an option
/// one task does not take is refused for it in one sentence.
/// </summary>
public static class TrainTasks
{
    public const string ModularAddition = ModularAdditionTask.TaskName;

    public static OptionSpec<string> Task { get; } = new("--task",
        $"What to learn: {ModularAddition} ((a + b) mod P, full batch) or n-digit arithmetic as Quirke et al. (2024): addN, subN or mixN with n from 1 to {ArithmeticQuestion.MaxDigits} digits per operand, as add5, trained with fresh batches on torchsharp or the engine (--backend).",
        ModularAddition, $"the task is {ModularAddition}, or add, sub or mix followed by the digits per operand, as add5", $"{ModularAddition}|addN|subN|mixN", TaskName);

    /// <summary>Every option of `bitonnx train`, for its help and its parser: --task first, then modular addition's, then those only arithmetic takes.</summary>
    public static IReadOnlyList<OptionSpec> Options => MergedOptions.Value;

    // Lazy: the arithmetic table names --task, so neither type's initialiser may need the other's finished.
    private static readonly Lazy<List<OptionSpec>> MergedOptions = new(Merge);

    /// <summary>Whether the given options ask for an arithmetic task.</summary>
    public static bool IsArithmetic(IEnumerable<GivenOption> given) =>
        given.FirstOrDefault(g => g.Option.Name == Task.Name)?.Value is { } task && task != ModularAddition;

    /// <summary>
    /// The given options as <see cref="TrainArguments"/>' own, for modular addition; an option only arithmetic tasks
    /// take is one sentence of a <see cref="UsageException"/>.
    /// </summary>
    public static IReadOnlyList<GivenOption> ForModularAddition(IEnumerable<GivenOption> given)
    {
        var problems = new List<string>();
        var rebound = new List<GivenOption>();
        foreach (var g in given)
        {
            if (g.Option.Name == Task.Name) continue;
            var own = TrainArguments.Options.FirstOrDefault(o => o.Name == g.Option.Name);
            if (own is null) problems.Add($"{g.Option.Name} is an option of arithmetic tasks, not of {ModularAddition}; leave it out, or give --task add5 (or another addN, subN, mixN).");
            else rebound.Add(new GivenOption(own, g.Value));
        }
        return problems.Count > 0 ? throw new UsageException(string.Join(" ", problems)) : rebound;
    }

    private static string TaskName(string text)
    {
        if (text == ModularAddition) return text;
        try
        {
            return ArithmeticTask.FromName(text).Name;
        }
        catch (ConfigException)
        {
            throw new FormatException("is not a task");
        }
    }

    private static List<OptionSpec> Merge()
    {
        var arithmetic = SequenceTrainArguments.Options.ToDictionary(o => o.Name);
        var merged = new List<OptionSpec> { Task };
        foreach (var modular in TrainArguments.Options)
        {
            if (!arithmetic.TryGetValue(modular.Name, out var other) || ReferenceEquals(other, modular) || modular.IsFlag)
            {
                merged.Add(modular);
                continue;
            }
            var help = modular.Help == other.Help
                ? $"{modular.Help} [default: {modular.DefaultShown ?? "none"}; arithmetic tasks: {other.DefaultShown ?? "none"}]"
                : $"{modular.Description} Arithmetic tasks: {other.Description}";
            var aliases = modular.Aliases.Union(other.Aliases).ToArray();
            merged.Add(new OptionSpec<string>(modular.Name, help, null, modular.Allowed, modular.ValueName!, Text(), aliases));
        }
        merged.AddRange(SequenceTrainArguments.Options.Where(o => o != Task && merged.All(m => m.Name != o.Name)));
        return merged;
    }
}
