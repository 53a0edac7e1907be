using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Pipelines.Arguments;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// The output folder of a sweep: sweep.json (the spec it runs, kept so that every worker and a later --collect use the
/// same one), cells/NNNN/ (each cell's run folder, with arguments.txt, status.json once it ends, and .lock),
/// logs/cell-I.log (each worker's output under --jobs or Slurm), table.tsv and table.md (--collect), and the emitted
/// sweep.sbatch and sweep-job.yaml. Every file is written whole (temp + rename).
/// </summary>
public sealed class SweepFolder(string path, SweepPlan plan)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public SweepPlan Plan { get; } = plan;
    public string SpecFile => System.IO.Path.Combine(Path, "sweep.json");
    public string LogsDirectory => System.IO.Path.Combine(Path, "logs");
    public string TableTsv => System.IO.Path.Combine(Path, "table.tsv");
    public string TableMarkdown => System.IO.Path.Combine(Path, "table.md");
    public string SlurmScript => System.IO.Path.Combine(Path, "sweep.sbatch");
    public string KubernetesJob => System.IO.Path.Combine(Path, "sweep-job.yaml");

    public string CellDirectory(int index) => System.IO.Path.Combine(Path, "cells", Plan.CellName(index));
    public string ArgumentsFile(int index) => System.IO.Path.Combine(CellDirectory(index), "arguments.txt");
    public string StatusFile(int index) => System.IO.Path.Combine(CellDirectory(index), "status.json");
    public string LockFile(int index) => System.IO.Path.Combine(CellDirectory(index), ".lock");
    public string LogFile(int index) => System.IO.Path.Combine(LogsDirectory, string.Create(CultureInfo.InvariantCulture, $"cell-{index}.log"));

    /// <summary>
    /// Ties the folder to this spec: writes sweep.json the first time, and refuses a folder made for another spec, whose
    /// cells would be other runs under the same numbers. Workers that start together write the same bytes.
    /// </summary>
    public void Bind()
    {
        var json = Plan.Spec.ToJson();
        if (File.Exists(SpecFile))
        {
            if (File.ReadAllText(SpecFile) != json)
                throw new UsageException($"'{Path}' holds a sweep of another spec (see its sweep.json); give that spec, or another output folder.");
            return;
        }
        try
        {
            Directory.CreateDirectory(Path);
            AtomicFile.WriteText(SpecFile, json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot write to the sweep's output folder '{Path}': {e.Message}");
        }
    }

    /// <summary>The cell's status, or null while it has not ended.</summary>
    public CellStatus? ReadStatus(int index) =>
        File.Exists(StatusFile(index)) ? CellStatus.Parse(File.ReadAllText(StatusFile(index)), StatusFile(index)) : null;

    public void WriteStatus(int index, CellStatus status) => AtomicFile.WriteText(StatusFile(index), status.ToJson());

    public void ClearStatus(int index) => File.Delete(StatusFile(index));
}
