using System.CommandLine;
using System.Globalization;
using BitOnnx.Analysis.Transcoders;
using BitOnnx.Engine.Transcoders;
using BitOnnx.Pipelines.Transcoders;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx transcoder train | splice</c>: a sparse stand-in for the MLP (docs/transcoders.md).</summary>
public static class TranscoderCommand
{
    public static Command Create() => new("transcoder", "Replace a model's MLP by a transcoder: a wider MLP with sparse latents (docs/transcoders.md).")
    {
        Train(),
        Splice(),
    };

    private static Command Train()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file exported with --probes all --writable all (the shipped models are), of a model that grokked." };
        var width = new Option<int>("--width") { Description = "Latents (SAELens' d_sae).", DefaultValueFactory = _ => 512 };
        var k = new Option<int>("--k") { Description = "Latents kept per pair (TopK).", DefaultValueFactory = _ => 16 };
        var l1 = new Option<double?>("--l1") { Description = "Train an L1 transcoder with this coefficient λ (loss ‖y − ŷ‖² + λ‖f‖₁) in place of TopK." };
        var seed = new Option<long>("--seed") { Description = "Seed of the initialisation and the minibatch order.", DefaultValueFactory = _ => 0 };
        var defaults = new TranscoderTrainingSettings();
        var epochs = new Option<int>("--epochs") { Description = "Passes over the model's train split.", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Pairs per Adam step.", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Adam's learning rate (falls linearly to 0 over the last fifth of the steps).", DefaultValueFactory = _ => defaults.LearningRate };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0: the number of CPUs); the result is the same bits for any count.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "Folder for transcoder.safetensors and metrics.json.", Required = true };
        var command = new Command("train", "Train a transcoder on the MLP's input and output at the last position over the model's train split; measure it on the test split and all pairs.")
        {
            model, width, k, l1, seed, epochs, batch, lr, threads, output,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            if (r.GetValue(threads) < 0) throw new CliException($"--threads {r.GetValue(threads)} is negative; give 0 (every CPU) or a count.");
            var request = new TranscoderTrainRequest(r.GetValue(model)!, r.GetValue(output)!, r.GetValue(width), r.GetValue(k), r.GetValue(l1), r.GetValue(seed),
                new TranscoderTrainingSettings { Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr) }, r.GetValue(threads));
            TranscoderMetrics? metrics = null;
            AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("transcoder", maxValue: 1);
                    metrics = TranscoderTrainingPipeline.Run(request, new Inline(s =>
                    {
                        task.MaxValue = s.Steps;
                        task.Value = s.Step;
                        task.Description = Markup.Escape($"transcoder step {s.Step}/{s.Steps} loss {F(s.Loss)}");
                    }));
                });
            Print(metrics!);
            AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(request.OutputFolder))}[/] (transcoder.safetensors, metrics.json).");
            return 0;
        }));
        return command;
    }

    private static Command Splice()
    {
        var model = new Argument<string>("model") { Description = "The .onnx file the transcoder was trained on." };
        var transcoder = new Argument<string>("transcoder") { Description = "The transcoder's folder (or its transcoder.safetensors)." };
        var output = new Option<string>("--out", "-o") { Description = "The spliced .onnx file to write.", Required = true };
        var fromExplanations = new Option<bool>("--from-explanations") { Description = "Compute the latents from their explanations (TC/latents.csv) in place of the encoder, then decode them." };
        var command = new Command("splice", "Write the model with its MLP replaced by the transcoder: an ONNX model that predict, verify, analyze and ablate run like any other (the replaced neurons, which feed nothing, left out).")
        {
            model, transcoder, output, fromExplanations,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var written = TranscoderSplicing.Write(r.GetValue(model)!, r.GetValue(transcoder)!, r.GetValue(output)!, r.GetValue(fromExplanations));
            AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(written))}[/].");
            return 0;
        }));
        return command;
    }

    private static void Print(TranscoderMetrics m)
    {
        var table = new Table().AddColumns("pairs", "fvu", "l0", "ce_loss_score", "kl", "loss clean / spliced / zero-ablated", "accuracy clean / spliced / zero-ablated");
        foreach (var (name, s) in new[] { ("all", m.All), ("test", m.Test) })
        {
            var l = s.Losses;
            table.AddRow(name, F(s.Fvu), F(s.L0), F(l.CeLossScore), F(l.Kl), $"{F(l.CeLossClean)} / {F(l.CeLossSpliced)} / {F(l.CeLossZeroAblated)}",
                $"{P(l.AccuracyClean)} / {P(l.AccuracySpliced)} / {P(l.AccuracyZeroAblated)}");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{m.DeadLatents} of {m.Config.Width} latents dead (never active on any pair); trained in {m.TrainSeconds:F1} s.");
    }

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string P(double v) => v.ToString("P2", CultureInfo.InvariantCulture);

    /// <summary>Reports on the job's thread.</summary>
    private sealed class Inline(Action<TranscoderStep> report) : IProgress<TranscoderStep>
    {
        public void Report(TranscoderStep value) => report(value);
    }
}
