using BitOnnx.Analysis;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Observers;
using BitOnnx.Pipelines.Sequence;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// One arithmetic cell's turn, as <see cref="SweepWorker"/> takes it: a cell with a resume state continues from it,
/// any other starts afresh (replacing a run that stopped before it saved one), through
/// <see cref="SequenceTrainingPipeline"/>, so the cell folder is the run folder `bitonnx train --task add5` writes.
/// </summary>
public static class SequenceSweepCell
{
    public static CellResult Run(SweepFolder folder, SweepCell cell, IProgress<SweepProgress>? progress, CancellationToken cancel)
    {
        var request = SweepCellRequest.Sequence(cell, folder.CellDirectory(cell.Index));
        var run = new SequenceRunFolder(request.OutputFolder);
        var resume = File.Exists(run.ResumeFile);
        request = resume ? request with { Resume = true } : request with { Force = true };
        progress?.Report(new CellStarted(cell, resume ? ResumedFrom(run) : null));
        var result = SequenceTrainingPipeline.Run(request, new CellObserver(cell, progress, cancel));
        if (result.Interrupted)
            return new CellResult(cell, CellOutcome.Interrupted, $"cell {cell.Index} stopped at step {result.Step}; run it again to resume");
        folder.WriteStatus(cell.Index, CellStatus.DoneAtStep(result.Step));
        var accuracy = result.Evaluation?.Accuracy;
        return new CellResult(cell, CellOutcome.Done, accuracy is null
            ? $"step {result.Step}"
            : $"step {result.Step}, {accuracy.Failures} wrong of {accuracy.Questions} fresh questions");
    }

    /// <summary>The last logged step, for the line that says where a cell resumes.</summary>
    public static int? ResumedFrom(SequenceRunFolder run) => run.LastLoggedStep() is { } step ? (int)Math.Min(step, int.MaxValue) : 0;

    /// <summary>Hands the pipeline the sweep's cancellation and passes its scored steps on; its lines and tables stay in the cell's files.</summary>
    private sealed class CellObserver(SweepCell cell, IProgress<SweepProgress>? progress, CancellationToken cancel) : IPipelineObserver
    {
        public TrainingResult Train(string label, int epochs, Func<IProgress<TrainingProgress>, CancellationToken, TrainingResult> job) =>
            throw new InvalidOperationException("An arithmetic cell trains a sequence model.");

        public long TrainSequence(string label, long steps, long startStep, Func<IProgress<SequenceTrainingProgress>, CancellationToken, long> job) =>
            job(new Inline(p => progress?.Report(new CellStepped(cell, p))), cancel);

        public T Analyze<T>(Func<Func<string?, IProgress<AnalysisProgress>>, T> job) => SilentObserver.Instance.Analyze(job);

        public void Show(ResultTable table)
        {
        }

        public void Say(string line, bool warning = false)
        {
        }
    }

    private sealed class Inline(Action<SequenceTrainingProgress> handler) : IProgress<SequenceTrainingProgress>
    {
        public void Report(SequenceTrainingProgress value) => handler(value);
    }
}
