using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Sequence;

/// <summary>
/// Trains a <see cref="SequenceTransformer"/> on a fresh-batch task with the loss of its prediction slots
/// (<see cref="SlotLoss"/>). Saves as <see cref="SequenceCheckpoint"/> with AdamW's moments, from which
/// <see cref="Resume"/> goes on: the batch of step s depends on (seed, s) alone, so a resumed run is the run it would have been.
/// </summary>
public sealed class SequenceTrainer : IDisposable
{
    private readonly IFreshBatchTask _task;
    private readonly SequenceTrainingOptions _options;
    private readonly SlotLoss _loss;
    private readonly TorchAdamW _adamW;

    private SequenceTrainer(SequenceTransformer model, IFreshBatchTask task, SequenceTrainingOptions options)
    {
        var problems = options.Problems().Concat(model.Config.ProblemsWith(task)).ToList();
        if (problems.Count > 0) throw new ConfigException("Cannot train: " + string.Join(" ", problems));
        Model = model;
        _task = task;
        _options = options;
        _loss = new SlotLoss(task);
        _adamW = new TorchAdamW(model.Parameters().Select(p => (Tensor)p.Parameter).ToArray(), options.AdamW);
    }

    public SequenceTransformer Model { get; }

    /// <summary>Steps taken so far.</summary>
    public long Step => _adamW.Step;

    /// <summary>A fresh model, initialised from the options' seed (<see cref="SequenceModelInitializer"/>).</summary>
    public static SequenceTrainer Start(SequenceModelConfig config, IFreshBatchTask task, SequenceTrainingOptions options)
    {
        var model = new SequenceTransformer(config);
        model.LoadFrom(SequenceModelInitializer.Initialize(config, options.Seed));
        return new SequenceTrainer(model, task, options);
    }

    /// <summary>Goes on from a checkpoint saved with its moments; the options must be the run's (seed and steps included).</summary>
    public static SequenceTrainer Resume(string checkpoint, IFreshBatchTask task, SequenceTrainingOptions options)
    {
        var saved = SequenceCheckpoint.Load(checkpoint);
        if (saved.FirstMoments is null || saved.SecondMoments is null)
            throw new CheckpointException(checkpoint, $"'{checkpoint}' holds no AdamW moments, so training cannot resume from it; resume from a checkpoint saved during training.");
        if (saved.Seed != options.Seed)
            throw new ConfigException($"The checkpoint was trained with seed {saved.Seed}, not {options.Seed}; resume with its seed.");
        var model = new SequenceTransformer(saved.Config);
        model.LoadFrom(saved.Parameters);
        var trainer = new SequenceTrainer(model, task, options);
        using (torch.no_grad())
            for (int i = 0; i < saved.Parameters.Count; i++)
            {
                Copy(saved.FirstMoments[i], trainer._adamW.FirstMoments[i]);
                Copy(saved.SecondMoments[i], trainer._adamW.SecondMoments[i]);
            }
        trainer._adamW.Step = saved.Step;
        return trainer;
    }

    private static void Copy(NamedTensor source, Tensor destination)
    {
        using var values = torch.tensor(source.Data, source.Shape.ToLongArray());
        destination.copy_(values);
    }

    /// <summary>A fresh model trained for the options' steps: <see cref="Start"/> then <see cref="Run"/>.</summary>
    public static SequenceTransformer Train(SequenceModelConfig config, IFreshBatchTask task, SequenceTrainingOptions options,
        Action<SequenceTrainingProgress>? observer = null, CancellationToken cancellation = default)
    {
        using var trainer = Start(config, task, options);
        trainer.Run(observer, cancellation);
        return trainer.Model;
    }

    /// <summary>Trains until the options' steps are taken or <paramref name="cancellation"/> is set (then it stops between steps).</summary>
    public void Run(Action<SequenceTrainingProgress>? observer = null, CancellationToken cancellation = default)
    {
        var schedule = _options.Schedule;
        while (Step < _options.Steps && !cancellation.IsCancellationRequested)
        {
            long step = Step;
            double lr = schedule.LearningRateAt(step);
            bool report = observer is not null && (step % _options.MetricsEvery == 0 || step == _options.Steps - 1);
            var batch = _task.Batch(_options.Seed, step, _options.BatchSize);
            using (var scope = torch.NewDisposeScope())
            {
                var logits = Model.Forward(SlotLoss.Tokens(batch));
                var loss = _loss.Loss(logits, SlotLoss.Targets(batch));
                _adamW.ZeroGradients();
                loss.backward();
                if (report)
                {
                    var slots = TaskMetrics.GatherSlots(SequenceTransformer.ReadFloats(logits), _task, batch.Count);
                    observer!(new SequenceTrainingProgress(step, lr, TaskMetrics.Score(slots, batch, _task.OutputVocabularySize)));
                }
                _adamW.Update(lr);
            }
        }
    }

    /// <summary>The model, its config and task name, the seed, the steps taken and AdamW's moments, through <see cref="SequenceCheckpoint"/>.</summary>
    public void Save(string path)
    {
        var names = Model.Config.Parameters();
        IReadOnlyList<NamedTensor> Moments(IReadOnlyList<Tensor> moments) =>
            names.Zip(moments, (info, m) => new NamedTensor(info.Name, info.Shape, SequenceTransformer.ReadFloats(m))).ToList();
        SequenceCheckpoint.Save(path, new SequenceCheckpoint.Contents(Model.Config, _options.Seed, Step, Model.ToNamedTensors(),
            Moments(_adamW.FirstMoments), Moments(_adamW.SecondMoments)));
    }

    public void Dispose()
    {
        _adamW.Dispose();
        _loss.Dispose();
    }
}
