using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>What one worker's turn at a cell came to; <see cref="Detail"/> as in <see cref="CellEnded"/>.</summary>
public sealed record CellResult(SweepCell Cell, CellOutcome Outcome, string? Detail);

/// <summary>
/// Runs one cell in this process, as `bitonnx sweep SPEC -o OUT --index I` does (and each array task and each --jobs
/// worker with it): under the cell's lock, a done cell is left alone, a cell with a resume state continues from it,
/// any other starts afresh; it ends done (status.json), failed (status.json with the error) or interrupted (no status,
/// a state to resume). Failures of the run are recorded and returned, not thrown, so that the sweep goes on.
/// </summary>
public static class SweepWorker
{
    public static CellResult Run(SweepFolder folder, int index, IProgress<SweepProgress>? progress = null, CancellationToken cancel = default)
    {
        var cells = folder.Plan.Cells;
        if (index < 0 || index >= cells.Count)
            throw new UsageException($"Cell index {index} is out of range; the sweep has {cells.Count} cells, 0 to {cells.Count - 1}.");
        var cell = cells[index];
        folder.Bind();
        using var cellLock = CellLock.TryTake(folder.LockFile(index));
        if (cellLock is null) return End(progress, cell, CellOutcome.Busy, $"cell {index} is being run by another worker; left to it");
        if (folder.ReadStatus(index) is { State: CellState.Done } done)
            return End(progress, cell, CellOutcome.AlreadyDone, $"cell {index} is done ({done.Describe()})");

        AtomicFile.WriteText(folder.ArgumentsFile(index), cell.Arguments + "\n");
        if (cell.IsArithmetic) return RunArithmetic(folder, cell, progress, cancel);
        var request = SweepCellRequest.Modular(cell, folder.CellDirectory(index));
        var run = new RunFolder(request.OutputFolder);
        var resume = File.Exists(run.ResumeFile);
        try
        {
            var backend = TrainingBackends.Resolve(request.Backend);
            // A run that saved no state yet (stopped inside its first epoch) has nothing to resume: begin it again.
            if (!resume) run.DeleteRun();
            if (File.Exists(folder.StatusFile(index))) folder.ClearStatus(index);
            progress?.Report(new CellStarted(cell, resume ? run.StateEpoch() : null));
            var epochs = new InlineProgress<TrainingProgress>(p => progress?.Report(new CellTrained(cell, p)));
            var result = new Trainer(request.Config, request.Options, run, backend).Run(resume, epochs, cancel);
            if (result.Interrupted)
                return End(progress, cell, CellOutcome.Interrupted, $"cell {index} stopped at epoch {result.Epoch}; run it again to resume");
            folder.WriteStatus(index, CellStatus.Done(result.Epoch));
            return End(progress, cell, CellOutcome.Done, result.Stop.ToString());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Fail(folder, cell, progress, e);
        }
    }

    /// <summary>An arithmetic cell (--task add5): its run folder is the one `bitonnx train --task add5` writes.</summary>
    private static CellResult RunArithmetic(SweepFolder folder, SweepCell cell, IProgress<SweepProgress>? progress, CancellationToken cancel)
    {
        try
        {
            if (File.Exists(folder.StatusFile(cell.Index))) folder.ClearStatus(cell.Index);
            var ended = SequenceSweepCell.Run(folder, cell, progress, cancel);
            return End(progress, cell, ended.Outcome, ended.Detail!);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Fail(folder, cell, progress, e);
        }
    }

    private static CellResult Fail(SweepFolder folder, SweepCell cell, IProgress<SweepProgress>? progress, Exception e)
    {
        var message = e is BitOnnxException or IOException or UnauthorizedAccessException ? e.Message : $"unexpected {e.GetType().Name}: {e.Message}";
        folder.WriteStatus(cell.Index, CellStatus.Failed(message));
        return End(progress, cell, CellOutcome.Failed, message);
    }

    private static CellResult End(IProgress<SweepProgress>? progress, SweepCell cell, CellOutcome outcome, string detail)
    {
        progress?.Report(new CellEnded(cell, outcome, detail));
        return new CellResult(cell, outcome, detail);
    }

    /// <summary>Reports on the training thread, so that each report carries the epoch just trained.</summary>
    private sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
