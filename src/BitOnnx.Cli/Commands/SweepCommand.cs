using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Sweep;

namespace BitOnnx.Cli.Commands;

/// <summary>
/// <c>bitonnx sweep SPEC -o OUT</c>: a grid of training runs as numbered cells, run here (<c>--jobs N</c>), one at a time
/// by an array job (<c>--index I</c>, or the scheduler's index variable), written out for Slurm or Kubernetes
/// (<c>--emit</c>), and summed up (<c>--collect</c>). The work is BitOnnx.Pipelines' Sweep; this parses, calls, prints.
/// </summary>
public static class SweepCommand
{
    /// <summary>What `bitonnx sweep --help` shows after the options: a spec, its cells, the commands.</summary>
    public const string Example = """
        A spec (JSON): train arguments shared by every cell, a grid whose product gives the points, and the seeds.
          {"base": "--preset li2024 --p 113 --epochs 10000 --threads 1 --log-every 10 --stop-at-acc 0.99",
           "grid": {"--quant": ["binary", "ternary"], "--lr": ["1e-3", "1e-2"]},
           "seeds": [0, 1, 2]}
        makes 2 x 2 x 3 = 12 cells, numbered with the grid's keys in order (the last varying fastest) and the seeds
        innermost: cell 0 is binary, 1e-3, seed 0; cell 1 seed 1; cell 3 is binary, 1e-2, seed 0. A key that is not an
        option names an axis of whole argument lines: "model": ["--preset li2024 --quant binary", "--preset nanda2023"].
        A grid value replaces the same option in base. Every cell is checked before any runs. Each cell is a run folder,
        OUT/cells/NNNN, under a lock: a cell resumes where it stopped, a done cell is skipped, a failed one is reported
        while the others go on. A base with an arithmetic task ("--task add5 --steps 8000 --backend engine") makes
        arithmetic cells; their table is the answer accuracy of each point's evaluation questions, with its interval.
          bitonnx sweep spec.json -o runs/sweep --jobs 2        every cell here, two at a time, then the tables
          bitonnx sweep spec.json -o runs/sweep --index 3      cell 3 only (the same command is each array task)
          bitonnx sweep spec.json -o runs/sweep --emit slurm   writes runs/sweep/sweep.sbatch; then: sbatch it
          bitonnx sweep spec.json -o runs/sweep --collect      runs/sweep/table.tsv and table.md
        """;

    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "The sweep spec, a JSON file (see below)." };
        var options = new CommandLineOptions(SweepArguments.Options);
        var command = new Command("sweep", "Train a grid of models times seeds as numbered cells: here, or as a Slurm job array or a Kubernetes Indexed Job.") { spec };
        options.AddTo(command);
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var request = SweepArguments.Build(r.GetValue(spec)!, options.Given(r), Environment.GetEnvironmentVariable, ThisCli());
            var folder = new SweepFolder(request.Out, SweepPlan.Of(SweepSpec.Read(request.Spec)));
            return request.Mode switch
            {
                SweepMode.Index => RunOne(folder, request.Index),
                SweepMode.Jobs => RunAll(folder, request.Jobs),
                SweepMode.Emit => Emit(folder, request),
                _ => Collect(folder),
            };
        }));
        return command;
    }

    private static int RunOne(SweepFolder folder, int index)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var result = SweepWorker.Run(folder, index, new LineProgress(), cancel.Token);
            return result.Outcome switch
            {
                CellOutcome.Failed => throw new CellFailedException($"cell {index} failed: {result.Detail}"),
                CellOutcome.Interrupted => CliRunner.ExitInterrupted,
                _ => 0,
            };
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int RunAll(SweepFolder folder, int jobs)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        IReadOnlyList<CellResult> results;
        try
        {
            Console.Out.WriteLine($"{folder.Plan.Cells.Count} cells, {jobs} at a time; each worker's output is in {folder.LogsDirectory}.");
            var invocation = ThisCli();
            results = SweepJobs.Run(folder, jobs, index =>
            {
                var start = new ProcessStartInfo(invocation[0]);
                foreach (var word in invocation.Skip(1).Concat(["sweep", folder.SpecFile, "-o", folder.Path, "--index", index.ToString(CultureInfo.InvariantCulture)]))
                    start.ArgumentList.Add(word);
                return start;
            }, new LineProgress(), cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        Collect(folder);
        if (results.Any(r => r.Outcome == CellOutcome.Interrupted)) return CliRunner.ExitInterrupted;
        var failed = results.Where(r => r.Outcome == CellOutcome.Failed).ToList();
        if (failed.Count > 0)
            throw new CellFailedException($"{failed.Count} of {results.Count} cells failed: " + string.Join(" ", failed.Select(f => $"cell {f.Cell.Index}: {f.Detail}")));
        return 0;
    }

    private static int Emit(SweepFolder folder, SweepRequest request)
    {
        var slurm = request.Emit == "slurm";
        var file = slurm ? SweepEmitter.WriteSlurm(folder, request.EmitSettings) : SweepEmitter.WriteKubernetes(folder, request.EmitSettings);
        Console.Out.WriteLine($"Wrote {file} ({folder.Plan.Cells.Count} cells). Submit it with: {(slurm ? "sbatch" : "kubectl apply -f")} {file}");
        Console.Out.WriteLine($"When the tasks are done: bitonnx sweep {folder.SpecFile} -o {folder.Path} --collect");
        return 0;
    }

    private static int Collect(SweepFolder folder)
    {
        var rows = SweepTable.Write(folder);
        int Count(string status) => rows.Count(r => r.Status == status);
        // As written, unwrapped: a Markdown table is read by width.
        Console.Out.Write(File.ReadAllText(folder.TableMarkdown));
        Console.Out.WriteLine($"Wrote {folder.TableTsv} and {folder.TableMarkdown}: {Count("done")} done, {Count("failed")} failed, {Count("pending")} pending of {rows.Count} cells.");
        foreach (var row in rows.Where(r => r.Status == "failed"))
            Console.Out.WriteLine($"cell {row.Cell.Index} ({row.Cell.Arguments}) failed: {row.Error}");
        return 0;
    }

    /// <summary>The words that start this bitonnx again: the apphost, or dotnet and bitonnx.dll.</summary>
    private static IReadOnlyList<string> ThisCli()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var entry = Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && !string.IsNullOrEmpty(entry) ? [process, entry] : [process];
    }

    /// <summary>One line per event, as a log keeps them: a cell's start, its logged epochs, its end.</summary>
    private sealed class LineProgress : IProgress<SweepProgress>
    {
        private readonly object _gate = new();

        public void Report(SweepProgress value)
        {
            var line = value switch
            {
                CellStarted s => $"cell {s.Cell.Index} ({s.Cell.Arguments}): " + (s.ResumedFrom is { } e ? $"resuming at {(s.Cell.IsArithmetic ? "step" : "epoch")} {e}" : "starting"),
                CellStepped t => ConsoleObserver.SequenceProgressLine($"cell {t.Cell.Index}", t.Progress),
                CellTrained { Progress: var p } t when p.LastLogged?.Epoch == p.Epoch => ConsoleObserver.ProgressLine($"cell {t.Cell.Index}", p),
                CellEnded { Outcome: CellOutcome.Failed } f => $"cell {f.Cell.Index} failed: {f.Detail}",
                CellEnded { Outcome: CellOutcome.Done } d => $"cell {d.Cell.Index} done: {d.Detail}",
                CellEnded x => x.Detail,
                _ => null,
            };
            if (line is null) return;
            // Plain lines, never wrapped: they are read in logs as much as on terminals.
            lock (_gate) Console.Out.WriteLine(line);
        }
    }
}

/// <summary>A cell's run failed; the sweep recorded it and went on.</summary>
public sealed class CellFailedException(string message) : Core.BitOnnxException(message);
