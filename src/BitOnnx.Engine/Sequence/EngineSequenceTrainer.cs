using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// Trains an <see cref="EngineSequenceModel"/> on a fresh-batch task as TorchSharp's SequenceTrainer does, with the
/// same entry points (<see cref="Start"/>, <see cref="Resume"/>, <see cref="Run"/>, <see cref="Save"/>) and options:
/// the slot loss, the engine's <see cref="AdamW"/> (torch.optim.AdamW's arithmetic) under
/// <see cref="WarmupCosineSchedule"/>, the batch of step s the task's Batch(seed, s, size). Checkpoints are
/// <see cref="SequenceCheckpoint"/>s with AdamW's moments, the format TorchSharp writes, so either backend resumes the
/// other's run. The same seed gives the same bits for any thread count.
/// </summary>
public sealed class EngineSequenceTrainer
{
    private readonly IFreshBatchTask _task;
    private readonly SequenceTrainingOptions _options;
    private readonly AdamW _adamW;
    private readonly ParameterSet _gradient;

    private EngineSequenceTrainer(EngineSequenceModel model, IFreshBatchTask task, SequenceTrainingOptions options)
    {
        var problems = options.Problems().Concat(model.Config.ProblemsWith(task)).ToList();
        if (problems.Count > 0) throw new ConfigException("Cannot train: " + string.Join(" ", problems));
        Model = model;
        _task = task;
        _options = options;
        _adamW = new AdamW(options.AdamW, model.Parameters);
        _gradient = model.Parameters.ZerosLike();
    }

    public EngineSequenceModel Model { get; }

    /// <summary>Steps taken so far.</summary>
    public long Step => _adamW.Step;

    /// <summary>A fresh model, initialised from the options' seed (<see cref="SequenceModelInitializer"/>).</summary>
    /// <param name="threads">The most threads a step uses; the weights do not depend on it.</param>
    public static EngineSequenceTrainer Start(SequenceModelConfig config, IFreshBatchTask task, SequenceTrainingOptions options, int threads = 1) =>
        new(EngineSequenceModel.FromTensors(config, SequenceModelInitializer.Initialize(config, options.Seed), threads), task, options);

    /// <summary>
    /// Goes on from a checkpoint saved with its moments (by this trainer or TorchSharp's); the options must be the
    /// run's (seed and steps included).
    /// </summary>
    public static EngineSequenceTrainer Resume(string checkpoint, IFreshBatchTask task, SequenceTrainingOptions options, int threads = 1)
    {
        var saved = SequenceCheckpoint.Load(checkpoint);
        if (saved.FirstMoments is null || saved.SecondMoments is null)
            throw new CheckpointException(checkpoint, $"'{checkpoint}' holds no AdamW moments, so training cannot resume from it; resume from a checkpoint saved during training.");
        if (saved.Seed != options.Seed)
            throw new ConfigException($"The checkpoint was trained with seed {saved.Seed}, not {options.Seed}; resume with its seed.");
        var trainer = new EngineSequenceTrainer(EngineSequenceModel.FromTensors(saved.Config, saved.Parameters, threads), task, options);
        Copy(saved.FirstMoments, trainer._adamW.FirstMoment);
        Copy(saved.SecondMoments, trainer._adamW.SecondMoment);
        trainer._adamW.Step = saved.Step;
        return trainer;
    }

    private static void Copy(IReadOnlyList<NamedTensor> source, ParameterSet destination)
    {
        foreach (var t in source) t.Data.CopyTo(destination[t.Name]);
    }

    /// <summary>A fresh model trained for the options' steps: <see cref="Start"/> then <see cref="Run"/>.</summary>
    public static EngineSequenceModel Train(SequenceModelConfig config, IFreshBatchTask task, SequenceTrainingOptions options,
        Action<SequenceTrainingProgress>? observer = null, CancellationToken cancellation = default, int threads = 1)
    {
        var trainer = Start(config, task, options, threads);
        trainer.Run(observer, cancellation);
        return trainer.Model;
    }

    /// <summary>
    /// Trains until the options' steps are taken or <paramref name="cancellation"/> is set (then it stops between
    /// steps). The observer hears, on the calling thread, the score of every MetricsEvery-th step's batch before its
    /// update, and of the last.
    /// </summary>
    public void Run(Action<SequenceTrainingProgress>? observer = null, CancellationToken cancellation = default)
    {
        var schedule = _options.Schedule;
        while (Step < _options.Steps && !cancellation.IsCancellationRequested)
        {
            long step = Step;
            double lr = schedule.LearningRateAt(step);
            var batch = _task.Batch(_options.Seed, step, _options.BatchSize);
            Model.LossAndGradient(batch, _task, _gradient);
            if (observer is not null && (step % _options.MetricsEvery == 0 || step == _options.Steps - 1))
            {
                var slots = TaskMetrics.GatherSlots(Model.LastLogits, _task, batch.Count);
                observer(new SequenceTrainingProgress(step, lr, TaskMetrics.Score(slots, batch, _task.OutputVocabularySize)));
            }
            _adamW.Update(Model.Parameters, _gradient, lr);
        }
    }

    /// <summary>The model, its config and task, the seed, the steps taken and AdamW's moments, as TorchSharp's trainer saves them.</summary>
    public void Save(string path)
    {
        IReadOnlyList<NamedTensor> Tensors(ParameterSet set) =>
            set.Entries.Select(e => new NamedTensor(e.Name, e.Shape, set.Slice(e).ToArray())).ToList();
        SequenceCheckpoint.Save(path, new SequenceCheckpoint.Contents(Model.Config, _options.Seed, Step, Tensors(Model.Parameters),
            Tensors(_adamW.FirstMoment), Tensors(_adamW.SecondMoment)));
    }
}
