using System.Globalization;
using BitOnnx.Pipelines.Arguments;
using static BitOnnx.Pipelines.Arguments.OptionValues;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>What `bitonnx sweep` is asked to do: run one cell, run them all here, write a scheduler's job, or the tables.</summary>
public enum SweepMode
{
    Index,
    Jobs,
    Emit,
    Collect,
}

/// <summary>One `bitonnx sweep`, read and checked. <see cref="Emit"/> is "slurm" or "k8s" in <see cref="SweepMode.Emit"/>.</summary>
public sealed record SweepRequest(string Spec, string Out, SweepMode Mode, int Index, int Jobs, string? Emit, EmitSettings EmitSettings);

/// <summary>
/// Every option of `bitonnx sweep`, stated once as the train options are (<see cref="OptionSpec"/>): the CLI builds its
/// options and help from this table and hands what it was given to <see cref="Build"/>.
/// </summary>
public static class SweepArguments
{
    public const string Command = "bitonnx sweep";
    public const string SlurmIndexVariable = "SLURM_ARRAY_TASK_ID";
    public const string KubernetesIndexVariable = "JOB_COMPLETION_INDEX";
    public static readonly IReadOnlyList<string> Schedulers = ["slurm", "k8s"];

    public static OptionSpec<string> Out { get; } = new("--out", "The sweep's folder: sweep.json, cells/NNNN (one run folder per cell), logs/, table.tsv, table.md.",
        null, "the sweep's folder is a path", "OUT", Text(), "-o");
    public static OptionSpec<int> Index { get; } = new("--index", $"Run this one cell here (0 to cells − 1). Default: ${SlurmIndexVariable} (a Slurm job array) or ${KubernetesIndexVariable} (a Kubernetes Indexed Job) when set.",
        null, "the cell index is a whole number, 0 or more", "I", WholeNumber(0));
    public static OptionSpec<int> Jobs { get; } = new("--jobs", "Run every cell that is not done, N at a time, each in a worker process (`--index I`), then write the tables.",
        null, "the number of jobs is a whole number from 1 to 1024", "N", WholeNumber(1, 1024));
    public static OptionSpec<string> Emit { get; } = new("--emit", "Write the sweep as a Slurm job array (OUT/sweep.sbatch) or a Kubernetes Indexed Job (OUT/sweep-job.yaml), one cell per task.",
        null, $"the scheduler is {OrList(Schedulers)}", string.Join('|', Schedulers), Choice(Schedulers));
    public static FlagSpec Collect { get; } = new("--collect", "Write OUT/table.tsv (a row per cell) and OUT/table.md (mean ± sd per grid point) from the cells' files.");
    public static OptionSpec<int> Parallelism { get; } = new("--parallelism", "With --emit: cells at once (Slurm's %N, the Job's parallelism).",
        "all (slurm), the number of cells (k8s)", "the parallelism is a whole number, 1 or more", "N", WholeNumber(1));
    public static OptionSpec<string> Cli { get; } = new("--cli", "With --emit: the command that starts bitonnx where the cells run, as one argument (\"dotnet tool run bitonnx\").",
        "this bitonnx (slurm), bitonnx (k8s)", "the command is words separated by spaces", "COMMAND", Text());
    public static OptionSpec<string> Image { get; } = new("--image", "With --emit k8s: the container image that holds the bitonnx CLI.",
        EmitSettings.DefaultImage, "the image is a name such as registry/bitonnx:1.0", "IMAGE", Text());
    public static OptionSpec<string> Claim { get; } = new("--claim", "With --emit k8s: the PersistentVolumeClaim that holds OUT (mounted at OUT's path).",
        EmitSettings.DefaultClaim, "the claim is a PersistentVolumeClaim's name", "NAME", Text());

    public static IReadOnlyList<OptionSpec> Options { get; } = [Out, Index, Jobs, Emit, Collect, Parallelism, Cli, Image, Claim];

    /// <param name="spec">The SPEC argument.</param>
    /// <param name="environment">Where the scheduler's index variables are read (the process environment).</param>
    /// <param name="thisCli">The words that start this bitonnx: the default --cli for Slurm, which runs on this file system.</param>
    public static SweepRequest Build(string spec, IEnumerable<GivenOption> given, Func<string, string?> environment, IReadOnlyList<string> thisCli)
    {
        var values = new Dictionary<OptionSpec, string?>();
        var problems = new List<string>();
        foreach (var g in given)
        {
            values[g.Option] = g.Value;
            try
            {
                if (g.Value is not null) g.Option.Check(g.Value);
            }
            catch (UsageException e)
            {
                problems.Add(e.Message);
            }
        }
        if (problems.Count > 0) throw new UsageException(string.Join(" ", problems));
        var index = values.TryGetValue(Index, out var i) ? Index.Parse(i!) : (int?)null;
        var jobs = values.TryGetValue(Jobs, out var j) ? Jobs.Parse(j!) : (int?)null;
        var emit = values.TryGetValue(Emit, out var e2) ? Emit.Parse(e2!) : null;
        var collect = values.ContainsKey(Collect);

        OptionSpec[] modes = [.. new OptionSpec?[] { index is null ? null : Index, jobs is null ? null : Jobs, emit is null ? null : Emit, collect ? Collect : null }.OfType<OptionSpec>()];
        if (modes.Length > 1)
            problems.Add($"{string.Join(" and ", modes.Select(m => m.Name))} contradict each other; give one of --index, --jobs, --emit and --collect.");
        if (modes.Length == 0) index = IndexFromScheduler(environment, problems);
        if (!values.ContainsKey(Out)) problems.Add($"{Out.Name} is missing; name the sweep's folder, as in {Out.Name} runs/sweep.");
        foreach (var option in new OptionSpec[] { Parallelism, Cli, Image, Claim }.Where(values.ContainsKey))
        {
            if (emit is null) problems.Add($"{option.Name} is for --emit; give it with --emit slurm or --emit k8s.");
            else if (emit == "slurm" && (option == Image || option == Claim)) problems.Add($"{option.Name} is for --emit k8s; a Slurm task runs on the cluster's own file system.");
        }
        if (problems.Count > 0) throw new UsageException(string.Join(" ", problems));

        var cli = values.TryGetValue(Cli, out var c) ? ArgumentLine.Words(c!) : emit == "k8s" ? ["bitonnx"] : thisCli;
        var settings = new EmitSettings(cli, values.TryGetValue(Parallelism, out var p) ? Parallelism.Parse(p!) : null,
            values.TryGetValue(Image, out var image) ? image! : EmitSettings.DefaultImage, values.TryGetValue(Claim, out var claim) ? claim! : EmitSettings.DefaultClaim);
        var mode = jobs is not null ? SweepMode.Jobs : emit is not null ? SweepMode.Emit : collect ? SweepMode.Collect : SweepMode.Index;
        return new SweepRequest(spec, values[Out]!, mode, index ?? 0, jobs ?? 1, emit, settings);
    }

    /// <summary>The index an array job gives its task; a missing one is a problem that says how to give it.</summary>
    private static int? IndexFromScheduler(Func<string, string?> environment, List<string> problems)
    {
        foreach (var variable in new[] { SlurmIndexVariable, KubernetesIndexVariable })
        {
            if (environment(variable) is not { Length: > 0 } text) continue;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return index;
            problems.Add($"${variable} '{text}' is not a whole number; {Index.Allowed}.");
            return null;
        }
        problems.Add($"Say which cells to run: --index I (one cell here), --jobs N (every cell here), --emit slurm|k8s (a job for a scheduler) or --collect (the tables); " +
            $"in a Slurm job array or a Kubernetes Indexed Job, ${SlurmIndexVariable} or ${KubernetesIndexVariable} gives the index.");
        return null;
    }
}
