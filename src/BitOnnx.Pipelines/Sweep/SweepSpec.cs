using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// One axis of a sweep's grid. An option axis (<c>"--lr": ["1e-3", "1e-2"]</c>) gives that option one value per point;
/// a named axis (<c>"model": ["--preset li2024 --quant binary", "--preset nanda2023"]</c>) gives a whole argument line
/// per point, for settings that only make sense together.
/// </summary>
public sealed record SweepAxis(string Key, IReadOnlyList<string> Values)
{
    public bool IsOption => Key.StartsWith("--", StringComparison.Ordinal);

    /// <summary>The argument text one value stands for: "--lr 1e-2", or a named axis's line as written.</summary>
    public string Arguments(int value) => IsOption ? $"{Key} {Values[value]}" : Values[value];
}

/// <summary>
/// A sweep: <c>{"base": "train arguments", "grid": {"--option": [values...], "name": ["arguments", ...]}, "seeds": [..]}</c>.
/// Its cells are the grid's product times the seeds (<see cref="SweepPlan"/>). Read with every problem found at once,
/// in one <see cref="UsageException"/>.
/// </summary>
public sealed partial record SweepSpec(string Base, IReadOnlyList<SweepAxis> Grid, IReadOnlyList<long> Seeds)
{
    /// <summary>Options the sweep sets itself, per cell: never in a spec.</summary>
    public static IReadOnlyList<OptionSpec> Owned { get; } = [TrainArguments.Seed, TrainArguments.Out, TrainArguments.Resume, TrainArguments.Force];

    private static readonly string[] Keys = ["base", "grid", "seeds"];

    public static SweepSpec Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot read the sweep spec '{path}': {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses spec JSON; <paramref name="name"/> names it in messages.</summary>
    public static SweepSpec Parse(string json, string name)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }) as JsonObject
                ?? throw new UsageException($"The sweep spec '{name}' is not a JSON object; write {{\"base\": \"...\", \"grid\": {{...}}, \"seeds\": [...]}}.");
        }
        catch (JsonException e)
        {
            throw new UsageException($"The sweep spec '{name}' is not valid JSON: {e.Message}");
        }
        var problems = new List<string>();
        foreach (var key in root.Select(p => p.Key).Where(k => !Keys.Contains(k)))
            problems.Add($"\"{key}\" is not a key of a sweep spec (its keys: base, grid, seeds).");
        var baseLine = ReadBase(root["base"], problems);
        var grid = ReadGrid(root["grid"], IsArithmetic(baseLine), problems);
        var seeds = ReadSeeds(root["seeds"], problems);
        if (problems.Count > 0) throw new UsageException($"The sweep spec '{name}': " + string.Join(" ", problems));
        return new SweepSpec(baseLine, grid, seeds);
    }

    /// <summary>The spec as JSON in one canonical form: what a sweep folder keeps (sweep.json) and compares.</summary>
    public string ToJson()
    {
        var grid = new JsonObject();
        foreach (var axis in Grid) grid[axis.Key] = new JsonArray(axis.Values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        var root = new JsonObject
        {
            ["base"] = Base,
            ["grid"] = grid,
            ["seeds"] = new JsonArray(Seeds.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string ReadBase(JsonNode? node, List<string> problems)
    {
        if (node is null) return "";
        if (node.GetValueKind() != JsonValueKind.String)
        {
            problems.Add("\"base\" must be a string of train arguments, such as \"--preset li2024 --p 31\".");
            return "";
        }
        var line = node.GetValue<string>();
        CheckLine(line, "\"base\"", problems);
        return line;
    }

    /// <summary>Whether the base line names an arithmetic task (--task add5): its grid values are checked against that task's options.</summary>
    private static bool IsArithmetic(string baseLine)
    {
        try
        {
            return TrainTasks.IsArithmetic(ArgumentLine.Parse(baseLine, TrainTasks.Options, TrainArguments.Command));
        }
        catch (UsageException)
        {
            return false;
        }
    }

    private static bool IsOwned(OptionSpec option) => Owned.Any(o => o.Name == option.Name);

    private static List<SweepAxis> ReadGrid(JsonNode? node, bool arithmetic, List<string> problems)
    {
        var axes = new List<SweepAxis>();
        if (node is null) return axes;
        if (node is not JsonObject grid)
        {
            problems.Add("\"grid\" must be an object of axes, such as {\"--lr\": [\"1e-3\", \"1e-2\"]}.");
            return axes;
        }
        foreach (var (key, valuesNode) in grid)
        {
            var values = ReadValues(key, valuesNode, problems);
            if (values is null) continue;
            if (key.StartsWith("--", StringComparison.Ordinal))
            {
                // The task's own table checks the values; an option of the other task is refused when the plan builds the cells.
                var table = arithmetic ? SequenceTrainArguments.Options : TrainArguments.Options;
                var option = table.FirstOrDefault(o => o.Matches(key)) ?? TrainTasks.Options.FirstOrDefault(o => o.Matches(key));
                if (option is null) problems.Add($"grid axis \"{key}\" is not an option of {TrainArguments.Command}; see `{TrainArguments.Command} --help`.");
                else if (IsOwned(option)) problems.Add(OwnedProblem(option, $"grid axis \"{key}\""));
                else if (option.IsFlag) problems.Add($"grid axis \"{key}\" is a flag, which takes no value; put it in \"base\" or in a named axis's lines.");
                else
                {
                    foreach (var value in values)
                    {
                        try
                        {
                            option.Check(value);
                        }
                        catch (UsageException e)
                        {
                            problems.Add($"grid axis \"{key}\": {e.Message}");
                        }
                    }
                }
            }
            else if (!AxisName().IsMatch(key))
                problems.Add($"grid axis \"{key}\" is neither an option (--name) nor a name of letters, digits, '-' and '_' for a named axis.");
            else
            {
                foreach (var value in values) CheckLine(value, $"grid axis \"{key}\"", problems);
            }
            axes.Add(new SweepAxis(key, values));
        }
        return axes;
    }

    /// <summary>An axis's values as text: strings as written, numbers as written in the JSON (1e-3 stays 1e-3).</summary>
    private static List<string>? ReadValues(string key, JsonNode? node, List<string> problems)
    {
        if (node is not JsonArray array || array.Count == 0)
        {
            problems.Add($"grid axis \"{key}\" must be a non-empty array of values.");
            return null;
        }
        var values = new List<string>();
        foreach (var item in array)
        {
            switch (item?.GetValueKind())
            {
                case JsonValueKind.String:
                    values.Add(item.GetValue<string>());
                    break;
                case JsonValueKind.Number:
                    values.Add(item.ToJsonString());
                    break;
                default:
                    problems.Add($"grid axis \"{key}\" holds {item?.ToJsonString() ?? "null"}; its values must be strings or numbers.");
                    return null;
            }
        }
        foreach (var twice in values.GroupBy(v => v, StringComparer.Ordinal).Where(g => g.Count() > 1))
            problems.Add($"grid axis \"{key}\" lists '{twice.Key}' twice; each value once.");
        return values;
    }

    private static List<long> ReadSeeds(JsonNode? node, List<string> problems)
    {
        var seeds = new List<long>();
        if (node is not JsonArray array || array.Count == 0)
        {
            problems.Add("\"seeds\" must be a non-empty array of whole numbers, such as [0, 1, 2].");
            return seeds;
        }
        foreach (var item in array)
        {
            if (item?.GetValueKind() == JsonValueKind.Number && item.AsValue().TryGetValue<long>(out var seed) && seed >= 0) seeds.Add(seed);
            else problems.Add($"\"seeds\" holds {item?.ToJsonString() ?? "null"}; {TrainArguments.Seed.Allowed}.");
        }
        foreach (var twice in seeds.GroupBy(s => s).Where(g => g.Count() > 1))
            problems.Add($"\"seeds\" lists {twice.Key} twice; each seed once.");
        return seeds;
    }

    /// <summary>An argument line of the spec: train options only, none that the sweep sets itself.</summary>
    private static void CheckLine(string line, string where, List<string> problems)
    {
        try
        {
            foreach (var given in ArgumentLine.Parse(line, TrainTasks.Options, TrainArguments.Command).Where(g => IsOwned(g.Option)))
                problems.Add(OwnedProblem(given.Option, where));
        }
        catch (UsageException e)
        {
            problems.Add($"{where}: {e.Message}");
        }
    }

    private static string OwnedProblem(OptionSpec option, string where) => option.Name == TrainArguments.Seed.Name
        ? $"{where} gives {option.Name}; the sweep sets it per cell from \"seeds\"."
        : $"{where} gives {option.Name}; the sweep sets it per cell (each cell's run folder is OUT/cells/NNNN, resumed when it has a state).";

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex AxisName();
}
