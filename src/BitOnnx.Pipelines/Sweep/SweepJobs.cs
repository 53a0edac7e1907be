using System.Diagnostics;
using System.Runtime.InteropServices;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Sequence;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// `bitonnx sweep SPEC -o OUT --jobs N`: every cell that is not done, N at a time, each in a worker process of its own
/// that runs `... --index I` (one process per cell keeps cells apart, as an array job does). A worker's output goes to
/// OUT/logs/cell-I.log; its end is read from the cell's status.json. A failed cell is reported and the others go on.
/// </summary>
public static partial class SweepJobs
{
    private const int SigInt = 2;

    /// <param name="worker">The process that runs `bitonnx sweep OUT/sweep.json -o OUT --index I` for cell I.</param>
    /// <param name="cancel">Stops starting cells and interrupts the running ones (SIGINT), which keep a state to resume.</param>
    public static IReadOnlyList<CellResult> Run(SweepFolder folder, int jobs, Func<int, ProcessStartInfo> worker,
        IProgress<SweepProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        folder.Bind();
        Directory.CreateDirectory(folder.LogsDirectory);
        var cells = folder.Plan.Cells;
        var results = new CellResult?[cells.Count];
        using var slots = new SemaphoreSlim(jobs);
        var running = new List<Task>();
        foreach (var cell in cells)
        {
            if (folder.ReadStatus(cell.Index) is { State: CellState.Done } done)
            {
                results[cell.Index] = new CellResult(cell, CellOutcome.AlreadyDone, $"cell {cell.Index} is done ({done.Describe()})");
                progress?.Report(new CellEnded(cell, CellOutcome.AlreadyDone, results[cell.Index]!.Detail));
                continue;
            }
            try
            {
                slots.Wait(cancel);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            running.Add(Task.Run(() =>
            {
                try
                {
                    results[cell.Index] = RunWorker(folder, cell, worker(cell.Index), progress, cancel);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None));
        }
        Task.WaitAll(running);
        return cells.Select(c => results[c.Index] ?? new CellResult(c, CellOutcome.Interrupted, $"cell {c.Index} was not started")).ToList();
    }

    private static CellResult RunWorker(SweepFolder folder, SweepCell cell, ProcessStartInfo start, IProgress<SweepProgress>? progress, CancellationToken cancel)
    {
        var run = new RunFolder(folder.CellDirectory(cell.Index));
        progress?.Report(new CellStarted(cell, !File.Exists(run.ResumeFile) ? null
            : cell.IsArithmetic ? SequenceSweepCell.ResumedFrom(new SequenceRunFolder(run.Path)) : run.StateEpoch()));
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        string? lastError = null;
        int exitCode;
        using (var log = new StreamWriter(folder.LogFile(cell.Index), append: true) { AutoFlush = true })
        using (var process = new Process { StartInfo = start })
        {
            var gate = new object();
            void Write(string? line, bool error)
            {
                if (line is null) return;
                lock (gate)
                {
                    log.WriteLine(line);
                    if (error && line.Length > 0) lastError = line;
                }
            }
            process.OutputDataReceived += (_, e) => Write(e.Data, false);
            process.ErrorDataReceived += (_, e) => Write(e.Data, true);
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using (cancel.Register(() => Interrupt(process)))
                process.WaitForExit();
            exitCode = process.ExitCode;
        }
        var status = folder.ReadStatus(cell.Index);
        var ended = status switch
        {
            { State: CellState.Done } => new CellResult(cell, CellOutcome.Done, (cell.IsArithmetic ? null : run.ReadStop()?.ToString()) ?? status.Describe()),
            { State: CellState.Failed } => new CellResult(cell, CellOutcome.Failed, status.Error),
            // No status: the worker left the cell to another (exit 0), was interrupted, or could not start it.
            _ when exitCode == 0 => new CellResult(cell, CellOutcome.Busy, $"cell {cell.Index} is being run by another worker; left to it"),
            _ => new CellResult(cell, CellOutcome.Interrupted,
                $"cell {cell.Index} did not finish (worker exit code {exitCode}{(lastError is null ? "" : ": " + lastError)}); see {folder.LogFile(cell.Index)}"),
        };
        progress?.Report(new CellEnded(cell, ended.Outcome, ended.Detail));
        return ended;
    }

    /// <summary>Ctrl-C for one worker: it stops at the end of its epoch with a state to resume from.</summary>
    private static void Interrupt(Process process)
    {
        try
        {
            if (process.HasExited) return;
            if (OperatingSystem.IsWindows()) process.Kill(entireProcessTree: true);
            else _ = Kill(process.Id, SigInt);
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the signal.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
