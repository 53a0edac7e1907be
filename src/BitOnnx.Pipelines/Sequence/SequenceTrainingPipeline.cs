using System.Globalization;
using BitOnnx.Core.Statistics;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Observers;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>How a sequence run ended: the steps taken, whether it was interrupted, and what the finished model answered.</summary>
public sealed record SequenceTrainResult(long Step, bool Interrupted, SequenceEvaluation? Evaluation);

/// <summary>
/// `bitonnx train --task add5` as a library call: checks the backend and the run folder, trains (fresh, or resumed
/// from resume.safetensors to the same bits), logs metrics.csv, and when the steps are done writes the weights, asks
/// fresh uniform questions (eval.json) and writes the card. An interrupted run saves its resume state and says the
/// command that continues it.
/// </summary>
public static class SequenceTrainingPipeline
{
    public static SequenceTrainResult Run(SequenceTrainRequest request, IPipelineObserver observer)
    {
        SequenceTrainingBackends.Resolve(request.Backend);
        var run = new SequenceRunFolder(request.OutputFolder);
        if (request.Resume) CheckResumable(run, request);
        else if (run.HoldsRun)
        {
            if (!request.Force)
                throw new RunExistsException($"'{run.Path}' already holds a run{At(run)}; continue it with --resume, replace it with --force, or choose another output folder.");
            var at = At(run);
            run.DeleteRun();
            observer.Say($"Replaced the run at {run.Path}{at}.");
        }
        run.EnsureWritable();

        var task = request.Task;
        var options = request.Options;
        using var trainer = request.Resume
            ? SequenceTrainingBackends.Resume(request, run.ResumeFile)
            : SequenceTrainingBackends.Start(request);
        if (request.Resume) run.KeepMetricsBefore(trainer.Step, task);
        else
        {
            run.WriteSettings(request);
            run.StartMetrics(task);
        }

        var label = $"{request.Config.Describe()}, seed {options.Seed}";
        var step = observer.TrainSequence(label, options.Steps, trainer.Step, (progress, cancel) =>
        {
            trainer.Run(p =>
            {
                run.AppendMetrics(p);
                progress.Report(p);
            }, cancel);
            return trainer.Step;
        });
        if (step < options.Steps)
        {
            // Moments first: a resume state without the weights beside it would still resume; the reverse would not.
            trainer.Save(run.ResumeFile);
            run.WriteModel(trainer, options.Seed);
            observer.Say(string.Create(CultureInfo.InvariantCulture,
                $"Interrupted at step {step} of {options.Steps}; the run folder is consistent. Continue with: {SequenceCommandLine.For(request, request.OutputFolder)} --resume"), warning: true);
            return new SequenceTrainResult(step, true, null);
        }
        run.WriteModel(trainer, options.Seed);
        if (File.Exists(run.ResumeFile)) File.Delete(run.ResumeFile);

        SequenceEvaluation? evaluation = null;
        if (request.EvalQuestions > 0)
        {
            observer.Say(string.Create(CultureInfo.InvariantCulture, $"Asking {request.EvalQuestions:N0} fresh uniform questions (seed {SequenceTrainArguments.EvalSeed})..."));
            var uniform = new ArithmeticTask(task.Digits, task.Mix, ArithmeticEnrichment.None);
            var accuracy = ArithmeticEvaluation.Evaluate(trainer.Logits, uniform, request.EvalQuestions, SequenceTrainArguments.EvalSeed);
            evaluation = new SequenceEvaluation(accuracy, SequenceTrainArguments.EvalSeed, CascadeCases.Ask(trainer.Logits, task));
            EvaluationFile.Write(run.EvaluationFile, evaluation);
            Show(observer, evaluation);
        }
        SequenceModelCard.Write(request, run, evaluation);
        observer.Say($"Wrote {run.Path} (model.safetensors, metrics.csv, config.json{(evaluation is null ? "" : ", eval.json")}, README.md).");
        return new SequenceTrainResult(step, false, evaluation);
    }

    private static void CheckResumable(SequenceRunFolder run, SequenceTrainRequest request)
    {
        if (!run.HoldsRun)
            throw new RunFolderException(run.ConfigFile, $"Nothing to resume in '{run.Path}': it holds no run. Start the run without --resume.");
        if (!File.Exists(run.ResumeFile))
            throw new RunFolderException(run.ResumeFile, $"Nothing to resume in '{run.Path}': it has no resume.safetensors (a finished run deletes it). Start the run again with --force, or choose another output folder.");
        if (run.ReadBackend() is var backend && backend != request.Backend)
            throw new RunFolderException(run.ConfigFile, $"The run in '{run.Path}' was trained with --backend {backend}; resume it with --backend {backend}, since the backends agree to rounding but not bit for bit.");
        if (run.ReadSettings() != SequenceRunFolder.TrainingSettings(request))
            throw new RunFolderException(run.ConfigFile, $"The run in '{run.Path}' was trained with other settings; resume it with the same options (its config.json lists them).");
    }

    private static string At(SequenceRunFolder run) =>
        run.LastLoggedStep() is { } step ? string.Create(CultureInfo.InvariantCulture, $" (step {step})") : "";

    private static void Show(IPipelineObserver observer, SequenceEvaluation evaluation)
    {
        var a = evaluation.Accuracy;
        observer.Say(string.Create(CultureInfo.InvariantCulture,
            $"{a.Questions:N0} fresh uniform questions: {a.Failures} wrong, accuracy {Percentages.Of(a.Accuracy, a.Questions)}, 95% Clopper-Pearson interval [{Percentages.Of(a.Interval.Lower, a.Questions)}, {Percentages.Of(a.Interval.Upper, a.Questions)}]."));
        observer.Show(new ResultTable("failures by quanta class", ["class", "questions", "wrong"],
            a.ByClass.Select(c => (IReadOnlyList<string>)[c.Class, I(c.Questions), I(c.Failures)]).ToList()));
        observer.Show(new ResultTable("cascade cases", ["question", "answer", "model"],
            evaluation.Cascades.Select(c => (IReadOnlyList<string>)[c.Question, c.Expected, c.Answer + (c.Right ? "" : " (wrong)")]).ToList()));
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
