using System.CommandLine;
using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using BitOnnx.Onnx.Verification;
using BitOnnx.Pipelines.Verification;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx verify</c>: the exported graph against the engine that trained it, output by output.</summary>
public static class VerifyCommand
{
    /// <summary>int2, int2-native and int8-dynamic quantize activations to 8 bits per call, so their outputs differ at the percent level.</summary>
    public const double DynamicTolerance = ExportVerification.DynamicTolerance;

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A model written by bitonnx export: an .onnx file (any signature) or an ML.NET model .zip." };
        var checkpoint = new Argument<string>("checkpoint") { Description = "The model.safetensors it was exported from." };
        var tolerance = new Option<double?>("--tolerance") { Description = $"Allowed max |onnx − engine| per unit of the output's magnitude (default {ExportVerification.DefaultTolerance:G}; {DynamicTolerance:G} for int2, int2-native and int8-dynamic)." };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var provider = PredictCommand.ProviderOption();
        var command = new Command("verify", "Run the engine and ONNX Runtime on all P*P pairs and compare every shared output; exit 1 above the tolerance.")
        {
            model, checkpoint, tolerance, threads, provider,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var loaded = ModelCheckpoint.Load(r.GetValue(checkpoint)!);
            using var session = PredictCommand.Open(r.GetValue(model)!, r.GetValue(provider)!);
            var bound = r.GetValue(tolerance) ?? (session.Metadata is { } metadata ? ExportVerification.ToleranceFor(metadata) : ExportVerification.DefaultTolerance);
            // A spliced model is checked against the engine's splice of the transcoder its graph holds (for a splice from
            // explanations: the latents from their formulas, computed in managed code, then its decoder).
            var report = SplicedTranscoder.Of(session.Metadata?.All ?? new Dictionary<string, string>()) switch
            {
                null => EngineVerification.Run(loaded, session, bound, r.GetValue(threads)),
                _ => EngineVerification.RunSpliced(loaded, r.GetValue(model)!, session, bound, r.GetValue(threads)),
            };
            Print(report);
            return report.Passed ? 0 : CliRunner.ExitError;
        }));
        return command;
    }

    public static void Print(VerificationReport report)
    {
        var table = new Table().AddColumns("output", "max |Δ|", "magnitude", "bound", "");
        foreach (var o in report.Outputs)
            table.AddRow(Markup.Escape(o.Name), F(o.MaxAbsDifference), F(o.Magnitude), F(o.Bound), o.Passed ? "[green]ok[/]" : "[red]above[/]");
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Pairs} pairs: {report.PredictionMismatches} prediction mismatches; accuracy engine {report.EngineAccuracy:P2}, ONNX Runtime {report.OnnxAccuracy:P2}."));
        if (!report.Passed) Console.Error.WriteLine("error: some outputs differ by more than the tolerance (see the table above).");
    }

    private static string F(double v) => v.ToString("E2", CultureInfo.InvariantCulture);
}
