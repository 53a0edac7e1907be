using System.Globalization;
using System.Text;
using System.Text.Json;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>Where the emitted job finds the bitonnx CLI and how many cells run at once.</summary>
/// <param name="Cli">The words that start the CLI on the machines that run the cells, e.g. ["bitonnx"].</param>
/// <param name="Parallelism">Cells at once (Slurm's %N, the Job's parallelism); null: as many as the scheduler gives.</param>
/// <param name="Image">The container image holding the CLI (Kubernetes).</param>
/// <param name="Claim">The PersistentVolumeClaim that holds OUT, mounted at OUT's path (Kubernetes).</param>
public sealed record EmitSettings(IReadOnlyList<string> Cli, int? Parallelism, string Image, string Claim)
{
    public const string DefaultImage = "bitonnx:latest";
    public const string DefaultClaim = "bitonnx-sweep";
}

/// <summary>
/// `--emit slurm` and `--emit k8s`: the same sweep as a Slurm job array (an sbatch script) or a Kubernetes Indexed Job
/// (a batch/v1 manifest), one task or pod per cell. Each runs `bitonnx sweep OUT/sweep.json -o OUT` with the cell index
/// from the scheduler (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX), so a task that is run again resumes its cell and a
/// finished one is skipped. The scheduler is theirs; nothing here talks to it.
/// </summary>
public static class SweepEmitter
{
    public const string JobName = "bitonnx-sweep";

    /// <summary>Writes OUT/sweep.sbatch (and sweep.json, logs/, which the script needs) and returns its path.</summary>
    public static string WriteSlurm(SweepFolder folder, EmitSettings settings)
    {
        folder.Bind();
        Directory.CreateDirectory(folder.LogsDirectory);
        AtomicFile.WriteText(folder.SlurmScript, Slurm(folder, settings));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(folder.SlurmScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return folder.SlurmScript;
    }

    /// <summary>Writes OUT/sweep-job.yaml (and sweep.json) and returns its path.</summary>
    public static string WriteKubernetes(SweepFolder folder, EmitSettings settings)
    {
        folder.Bind();
        AtomicFile.WriteText(folder.KubernetesJob, Kubernetes(folder, settings));
        return folder.KubernetesJob;
    }

    public static string Slurm(SweepFolder folder, EmitSettings settings)
    {
        var n = folder.Plan.Cells.Count;
        var limit = settings.Parallelism is { } p ? string.Create(CultureInfo.InvariantCulture, $"%{p}") : "";
        var command = string.Join(' ', settings.Cli.Concat(Command(folder)).Select(ShellWord));
        var text = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append(string.Create(CultureInfo.InvariantCulture, $"# bitonnx sweep: {n} cells of {folder.SpecFile}, one array task each. Submit: sbatch {folder.SlurmScript}\n"))
            .Append("# A task run again resumes its cell (a done cell is skipped); afterwards: bitonnx sweep SPEC -o OUT --collect\n")
            .Append($"#SBATCH --job-name={JobName}\n")
            .Append(string.Create(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{n - 1}{limit}\n"))
            .Append($"#SBATCH --output={Path.Combine(folder.LogsDirectory, "cell-%a.log")}\n");
        if (Threads(folder) is { } threads) text.Append(string.Create(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={threads}\n"));
        return text
            .Append("set -euo pipefail\n")
            .Append($"exec {command} --index \"$SLURM_ARRAY_TASK_ID\"\n")
            .ToString();
    }

    public static string Kubernetes(SweepFolder folder, EmitSettings settings)
    {
        var n = folder.Plan.Cells.Count;
        var command = "[" + string.Join(", ", settings.Cli.Concat(Command(folder)).Select(Quoted)) + "]";
        var text = new StringBuilder()
            .Append(string.Create(CultureInfo.InvariantCulture, $"# bitonnx sweep: {n} cells of {folder.SpecFile} as an Indexed Job, one pod per cell. Apply: kubectl apply -f {folder.KubernetesJob}\n"))
            .Append("# Each pod runs the cell JOB_COMPLETION_INDEX names; a pod run again resumes its cell. The image must hold the bitonnx CLI,\n")
            .Append("# and the volume claim holds OUT, mounted at the same path. Afterwards: bitonnx sweep SPEC -o OUT --collect\n")
            .Append("apiVersion: batch/v1\n")
            .Append("kind: Job\n")
            .Append("metadata:\n")
            .Append($"  name: {JobName}\n")
            .Append("spec:\n")
            .Append("  completionMode: Indexed\n")
            .Append(string.Create(CultureInfo.InvariantCulture, $"  completions: {n}\n"))
            .Append(string.Create(CultureInfo.InvariantCulture, $"  parallelism: {settings.Parallelism ?? n}\n"))
            .Append("  template:\n")
            .Append("    spec:\n")
            .Append("      restartPolicy: Never\n")
            .Append("      containers:\n")
            .Append("        - name: cell\n")
            .Append($"          image: {Quoted(settings.Image)}\n")
            .Append($"          command: {command}\n");
        if (Threads(folder) is { } threads)
        {
            text.Append("          resources:\n")
                .Append("            requests:\n")
                .Append(string.Create(CultureInfo.InvariantCulture, $"              cpu: \"{threads}\"\n"));
        }
        return text
            .Append("          volumeMounts:\n")
            .Append("            - name: sweep\n")
            .Append($"              mountPath: {Quoted(folder.Path)}\n")
            .Append("      volumes:\n")
            .Append("        - name: sweep\n")
            .Append("          persistentVolumeClaim:\n")
            .Append($"            claimName: {Quoted(settings.Claim)}\n")
            .ToString();
    }

    /// <summary>The sweep command every task runs, the index left to the scheduler's variable.</summary>
    private static IEnumerable<string> Command(SweepFolder folder) => ["sweep", folder.SpecFile, "-o", folder.Path];

    /// <summary>The CPUs a cell asks for: its --threads when every cell states one (the largest), else none.</summary>
    private static int? Threads(SweepFolder folder)
    {
        var threads = folder.Plan.Cells.Select(c => c.Options.FirstOrDefault(o => o.Option.Name == "--threads")?.Value).ToList();
        return threads.All(t => t is not null) ? threads.Max(t => int.Parse(t!, CultureInfo.InvariantCulture)) : null;
    }

    /// <summary>A word for bash: as is when it is plain, else in single quotes.</summary>
    public static string ShellWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=+,:@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A YAML string: JSON's double-quoted form, which YAML reads as is.</summary>
    private static string Quoted(string text) => JsonSerializer.Serialize(text);
}
