using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Training;

/// <summary>Where a run stands after an epoch; reported every epoch, with the losses of the latest logged epoch.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, double TrainLoss, MetricsRow? LastLogged);

public sealed record TrainingResult(TransformerConfig Config, ParameterSet Parameters, ModularAdditionData Data,
    int Epoch, bool Interrupted, IReadOnlyList<MetricsRow> Metrics)
{
    /// <summary>Why the run stopped at <see cref="Epoch"/>; as written to the run folder's stop.json.</summary>
    public StopRecord Stop { get; init; } = new(Interrupted ? StopReason.Interrupted : StopReason.EpochsDone, Epoch, null, null);
}

/// <summary>Loss became NaN or infinite; the run's files still hold the last good state.</summary>
public sealed class TrainingDivergedException(string message) : BitOnnxException(message);

/// <summary>
/// Full-batch training of one model on modular addition, writing a <see cref="RunFolder"/> as it goes, over any
/// <see cref="ITrainingBackend"/>. Same config, options and backend give bit-identical weights; a resumed run ends
/// bit-identical to an uninterrupted one.
/// </summary>
public sealed class Trainer
{
    private const string StepKey = "optimizer_step";
    private const string FirstMomentPrefix = "optimizer.exp_avg.";
    private const string SecondMomentPrefix = "optimizer.exp_avg_sq.";
    private const string GradientAveragePrefix = "grokfast.grads_ema.";
    private const string GrokfastKey = "grokfast";
    private const string BimtKey = "bimt";
    private const string LayoutKey = "bimt_layout";

    private readonly TransformerConfig _config;
    private readonly TrainingOptions _options;
    private readonly RunFolder _run;
    private readonly ITrainingBackend _backend;

    public Trainer(TransformerConfig config, TrainingOptions options, RunFolder run, ITrainingBackend backend)
    {
        _config = config.Validated();
        _options = options.Validated();
        _run = run;
        _backend = backend;
        if (_options.Bimt is not null && !backend.TrainsBimt)
            throw new ConfigException($"The {backend.Name} backend does not implement --bimt (brain-inspired modular training); train with --backend engine, or without --bimt.");
    }

    /// <summary>
    /// Trains from scratch, or from the run's resume state when <paramref name="resume"/> is set. A fresh start refuses
    /// a folder that already holds a run (<see cref="RunExistsException"/>): continue it, or delete it first with
    /// <see cref="RunFolder.DeleteRun"/>. With
    /// <see cref="TrainingOptions.StopAtAccuracy"/> it stops after the first logged epoch whose test accuracy reaches
    /// it; resuming such a run continues only if the state it resumes from does not reach the (possibly new) threshold.
    /// </summary>
    public TrainingResult Run(bool resume = false, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        _run.EnsureWritable();
        if (!resume && _run.HoldsRun)
            throw new RunExistsException(_run.StateEpoch() is { } at
                ? $"'{_run.Path}' already holds a run (epoch {at}); continue it with --resume, replace it with --force, or choose another output folder."
                : $"'{_run.Path}' already holds a run; continue it with --resume, replace it with --force, or choose another output folder.");
        var (setup, startEpoch, metrics) = resume ? LoadResumeState() : FreshState();
        _run.ClearStop();
        var data = setup.Data;
        using var step = _backend.Create(setup);
        var bimt = _options.Bimt is null ? null
            : step as IBimtTrainingStep ?? throw new InvalidOperationException($"The {_backend.Name} backend says it trains with BIMT, but its step does not.");
        var epoch = startEpoch;
        if (ReachedAccuracy(metrics, epoch) is { } reached)
            return Finish(LaidOut(bimt, step.ReadParameters()), data, epoch, metrics, reached);
        while (epoch < _options.Epochs)
        {
            if (cancel.IsCancellationRequested)
                return Finish(SaveState(step, bimt, data, epoch), data, epoch, metrics, StopReason.Interrupted);
            var trainLoss = step.Run();
            if (!double.IsFinite(trainLoss))
                throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                    $"Training diverged at epoch {epoch + 1}: the train loss is {trainLoss}. The run folder keeps the state of epoch {metrics.LastOrDefault()?.Epoch ?? 0}; try a smaller learning rate or weight decay."));
            epoch++;
            if (epoch == startEpoch + 1) RequireGrokfastSupport(step);
            // The authors swap after every 200th step; a swap moves places only, so what follows sees the same weights.
            if (bimt is not null && epoch % BimtSettings.SwapEvery == 0) _run.AppendSwaps(bimt.Relocate(epoch));

            ParameterSet? saved = null;
            if (epoch % _options.LogEvery == 0 || epoch == _options.Epochs || epoch == 1)
            {
                var testResult = step.Evaluate();
                var row = new MetricsRow(epoch, trainLoss, testResult.Loss, testResult.Accuracy);
                metrics.Add(row);
                _run.AppendMetrics(row);
                saved = SaveState(step, bimt, data, epoch);
            }
            if (_options.CheckpointEvery > 0 && epoch % _options.CheckpointEvery == 0)
                ModelCheckpoint.Save(_run.CheckpointFile(epoch), _config, LaidOut(bimt, step.ReadParameters()), Facts(data, epoch));
            progress?.Report(new TrainingProgress(epoch, _options.Epochs, trainLoss, metrics.LastOrDefault()));
            if (saved is not null && ReachedAccuracy(metrics, epoch) is { } stop)
                return Finish(saved, data, epoch, metrics, stop);
        }
        return Finish(SaveState(step, bimt, data, epoch), data, epoch, metrics, StopReason.EpochsDone);
    }

    /// <summary>A backend that does not keep Grokfast's average would train without the filter and say nothing: refuse it.</summary>
    private void RequireGrokfastSupport(ITrainingStep step)
    {
        if (_options.Grokfast is not null && step.ReadOptimizer().GradientAverage is null)
            throw new ConfigException($"The {_backend.Name} backend does not support --grokfast yet; train with the engine backend or without --grokfast.");
    }

    /// <summary>The stop when the row logged at <paramref name="epoch"/> reaches the accuracy asked for, else null.</summary>
    private StopReason? ReachedAccuracy(List<MetricsRow> metrics, int epoch) =>
        _options.StopAtAccuracy is { } target && metrics.Count > 0 && metrics[^1].Epoch == epoch && metrics[^1].TestAccuracy >= target
            ? StopReason.AccuracyReached
            : null;

    private TrainingResult Finish(ParameterSet parameters, ModularAdditionData data, int epoch, List<MetricsRow> metrics, StopReason reason)
    {
        var last = metrics.LastOrDefault();
        var stop = new StopRecord(reason, epoch, last?.Epoch == epoch ? last.TestAccuracy : null, _options.StopAtAccuracy);
        _run.WriteStop(stop);
        return new TrainingResult(_config, parameters, data, epoch, reason == StopReason.Interrupted, metrics) { Stop = stop };
    }

    private (TrainingSetup, int, List<MetricsRow>) FreshState()
    {
        var data = ModularAdditionData.Split(_config.P, _options.TrainFraction, _options.Seed);
        var parameters = ParameterInitializer.Initialize(_config, _options.Seed);
        _run.WriteSettings(_config, _options);
        _run.WriteSplit(data);
        _run.WriteMetrics([]);
        if (Directory.Exists(_run.CheckpointDirectory))
            foreach (var (_, file) in _run.Checkpoints()) File.Delete(file);
        if (File.Exists(_run.ResumeFile)) File.Delete(_run.ResumeFile);
        if (_options.Bimt is not null) _run.WriteSwaps([]);
        else if (File.Exists(_run.SwapsFile)) File.Delete(_run.SwapsFile);
        return (new TrainingSetup(_config, _options, data, parameters, null), 0, []);
    }

    private (TrainingSetup, int, List<MetricsRow>) LoadResumeState()
    {
        if (!File.Exists(_run.ResumeFile))
            throw new ConfigException($"Nothing to resume in '{_run.Path}': it has no resume.safetensors. Start the run without --resume.");
        var loaded = ModelCheckpoint.Load(_run.ResumeFile);
        if (loaded.Config != _config)
            throw new ConfigException($"The run in '{_run.Path}' was trained with a different model config; resume it with the same settings (see its config.json).");
        if (loaded.Facts.Seed != _options.Seed)
            throw new ConfigException($"The run in '{_run.Path}' used seed {loaded.Facts.Seed}, not {_options.Seed}.");
        var optimizer = OptimizerState.Fresh(loaded.Parameters) with
        {
            Step = long.Parse(loaded.Metadata[StepKey], CultureInfo.InvariantCulture),
        };
        foreach (var info in loaded.Parameters.Entries)
        {
            Moment(loaded, FirstMomentPrefix + info.Name, info).CopyTo(optimizer.FirstMoment.Slice(info));
            Moment(loaded, SecondMomentPrefix + info.Name, info).CopyTo(optimizer.SecondMoment.Slice(info));
        }
        optimizer = optimizer with { GradientAverage = LoadGradientAverage(loaded) };
        var layout = LoadLayout(loaded);
        var parameters = loaded.Parameters;
        if (layout is not null)
        {
            // The files hold everything laid out by place; the step trains in slots (NeuronLayout).
            parameters = layout.Restore(parameters);
            optimizer = new OptimizerState(optimizer.Step, layout.Restore(optimizer.FirstMoment), layout.Restore(optimizer.SecondMoment))
            {
                GradientAverage = optimizer.GradientAverage is { } average ? layout.Restore(average) : null,
            };
        }
        var epoch = (int)loaded.Facts.Epoch;
        if (epoch > _options.Epochs)
            throw new ConfigException($"The run in '{_run.Path}' is already at epoch {epoch}, past --epochs {_options.Epochs}.");
        var metrics = _run.ReadMetrics().Where(r => r.Epoch <= epoch).ToList();
        _run.WriteMetrics(metrics);
        if (layout is not null) _run.WriteSwaps(_run.ReadSwaps().Where(s => s.Epoch <= epoch).ToList());
        _run.WriteSettings(_config, _options);
        return (new TrainingSetup(_config, _options, loaded.Split(), parameters, optimizer) { Layout = layout }, epoch, metrics);
    }

    /// <summary>
    /// Grokfast's average as saved, or null; a run resumes only with the --grokfast it was trained with, since the
    /// average is part of the optimizer's state (an uninterrupted run would have kept using it).
    /// </summary>
    private ParameterSet? LoadGradientAverage(ModelCheckpoint.Loaded loaded)
    {
        var saved = loaded.Metadata.TryGetValue(GrokfastKey, out var text) ? text : null;
        var asked = _options.Grokfast?.ToString();
        if (saved != asked)
            throw new ConfigException(saved is null
                ? $"The run in '{_run.Path}' was trained without --grokfast; resume it without --grokfast."
                : $"The run in '{_run.Path}' was trained with --grokfast {saved}; resume it with the same --grokfast.");
        if (saved is null || !loaded.Tensors.ContainsKey(GradientAveragePrefix + loaded.Parameters.Entries[0].Name)) return null;
        var average = loaded.Parameters.ZerosLike();
        foreach (var info in loaded.Parameters.Entries)
            Moment(loaded, GradientAveragePrefix + info.Name, info).CopyTo(average.Slice(info));
        return average;
    }

    /// <summary>
    /// With --bimt, the layout the resume state's tensors are laid out in; null without. Like Grokfast's average, BIMT
    /// is part of the run's state: a run resumes only with the --bimt it was trained with.
    /// </summary>
    private NeuronLayout? LoadLayout(ModelCheckpoint.Loaded loaded)
    {
        var saved = loaded.Metadata.TryGetValue(BimtKey, out var text) ? text : null;
        var asked = _options.Bimt?.ToString();
        if (saved != asked)
            throw new ConfigException(saved is null
                ? $"The run in '{_run.Path}' was trained without --bimt; resume it without --bimt."
                : $"The run in '{_run.Path}' was trained with --bimt {saved}; resume it with the same --bimt.");
        if (saved is null) return null;
        return loaded.Metadata.TryGetValue(LayoutKey, out var json)
            ? NeuronLayout.Parse(json, _config, loaded.Path)
            : throw new CheckpointException(loaded.Path, $"The resume state '{loaded.Path}' lacks its BIMT layout ('{LayoutKey}'); start the run again without --resume.");
    }

    /// <summary>Weights (or any set in their layout) as the files hold them: laid out by place when training with BIMT.</summary>
    private static ParameterSet LaidOut(IBimtTrainingStep? bimt, ParameterSet slots) => bimt is null ? slots : bimt.Layout.Apply(slots);

    private static float[] Moment(ModelCheckpoint.Loaded loaded, string name, ParameterInfo info) =>
        loaded.Tensors.TryGetValue(name, out var t) && t.Shape.Equals(info.Shape)
            ? t.Data
            : throw new CheckpointException(loaded.Path, $"The resume state '{loaded.Path}' lacks optimizer tensor '{name}' {info.Shape}; start the run again without --resume.");

    private CheckpointFacts Facts(ModularAdditionData data, int epoch) =>
        new(_options.Seed, epoch, _options.TrainFraction, data.TrainRows);

    /// <summary>
    /// Writes the resume state first, then model.safetensors: each file is whole on its own (temp + rename). With BIMT
    /// both hold the weights laid out by place, the resume state its optimizer tensors likewise and the layout.
    /// Returns the weights it saved.
    /// </summary>
    private ParameterSet SaveState(ITrainingStep step, IBimtTrainingStep? bimt, ModularAdditionData data, int epoch)
    {
        var layout = bimt?.Layout;
        ParameterSet Laid(ParameterSet slots) => layout is null ? slots : layout.Apply(slots);
        var parameters = Laid(step.ReadParameters());
        var optimizer = step.ReadOptimizer();
        var (first, second) = (Laid(optimizer.FirstMoment), Laid(optimizer.SecondMoment));
        var facts = Facts(data, epoch);
        var moments = parameters.Entries.SelectMany(e => new[]
        {
            new NamedTensor(FirstMomentPrefix + e.Name, e.Shape, first.Slice(e).ToArray()),
            new NamedTensor(SecondMomentPrefix + e.Name, e.Shape, second.Slice(e).ToArray()),
        });
        if (optimizer.GradientAverage is { } slotAverage)
        {
            var average = Laid(slotAverage);
            moments = moments.Concat(parameters.Entries.Select(e => new NamedTensor(GradientAveragePrefix + e.Name, e.Shape, average.Slice(e).ToArray())));
        }
        var metadata = new Dictionary<string, string> { [StepKey] = optimizer.Step.ToString(CultureInfo.InvariantCulture) };
        if (_options.Grokfast is { } grokfast) metadata[GrokfastKey] = grokfast.ToString();
        if (_options.Bimt is { } settings)
        {
            metadata[BimtKey] = settings.ToString();
            metadata[LayoutKey] = layout!.ToJson();
        }
        ModelCheckpoint.Save(_run.ResumeFile, _config, parameters, facts, moments, metadata);
        ModelCheckpoint.Save(_run.ModelFile, _config, parameters, facts);
        return parameters;
    }
}
