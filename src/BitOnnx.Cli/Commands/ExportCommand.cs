using System.CommandLine;
using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.ML;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Export.Sequence;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx export</c>: a checkpoint folded into an ONNX graph, or into the ML.NET model zip that wraps one.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A model.safetensors written by bitonnx train (or one of its checkpoints/); an arithmetic (sequence) checkpoint exports as tokens [batch, seq] -> logits [batch, seq, vocab]." };
        var output = new Option<string>("--output", "-o") { Description = "The .onnx file (or, with --format mlnet, the .zip) to write, whole or not at all.", Required = true };
        var format = new Option<string>("--format") { Description = "onnx (a graph) or mlnet (an ML.NET model zip: mlContext.Model.Load scores it); default: mlnet for a .zip output, else onnx." };
        format.AcceptOnlyFromAmong("onnx", "mlnet");
        var signature = new Option<string>("--signature") { Description = "tokens (input tokens [batch, 3], output logits) or pair (inputs A, B; outputs Score, PredictedSum, logits). The ML.NET model is always pair.", DefaultValueFactory = _ => "tokens" };
        signature.AcceptOnlyFromAmong("tokens", "pair");
        var weights = new Option<string>("--weights") { Description = "float (folded float32), int8 (codes + DequantizeLinear), int2 (4 codes per byte, unpacked at load, 8-bit activations: fastest), int2-exact (the same file size, float activations, exact), int2-native (MatMulNBits on ONNX Runtime's 2-bit kernels, 8-bit activations) or int8-dynamic (MatMulInteger, approximate).", DefaultValueFactory = _ => "float" };
        weights.AcceptOnlyFromAmong(WeightFormats.Names.ToArray());
        var probes = new Option<string>("--probes") { Description = "Extra outputs: none, all, or comma-separated TransformerLens hook names (e.g. blocks.0.mlp.hook_post).", DefaultValueFactory = _ => "none" };
        var writable = new Option<string>("--writable") { Description = "Hooks a run may write, for interventions (bitonnx ablate, patch; any ONNX Runtime user): none, all, or comma-separated hook names. A run that writes nothing computes what the export without them does.", DefaultValueFactory = _ => "none" };
        var embedded = new Option<bool>("--embedded-input") { Description = "Take the token embeddings [batch, n_ctx, d_model] as input instead of tokens (for gradients with respect to them)." };
        var precision = new Option<bool>("--double") { Description = "Compute in float64 (with --weights float), for finite differences." };

        var command = new Command("export", "Fold a checkpoint's quantized weights into an ONNX graph (optionally with probe outputs) or an ML.NET model.")
        {
            checkpoint, output, format, signature, weights, probes, writable, embedded, precision,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var path = r.GetValue(output)!;
            OutputPath.RequireFile(path, "the exported model");
            if (SequenceExporter.IsSequenceCheckpoint(r.GetValue(checkpoint)!))
            {
                var modularOnly = new[] { (r.GetValue(format) == "mlnet" || path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase), "an ML.NET zip"),
                    (r.GetValue(signature) == "pair", "--signature pair"), (r.GetValue(weights) != "float", "--weights " + r.GetValue(weights)),
                    (r.GetValue(embedded), "--embedded-input"), (r.GetValue(precision), "--double") }.Where(o => o.Item1).Select(o => o.Item2).ToList();
                if (modularOnly.Count > 0)
                    throw new CliException($"An arithmetic (sequence) checkpoint exports as an .onnx graph with float weights, probes and writable hooks; leave out {string.Join(", ", modularOnly)}.");
                return ExportSequence(r.GetValue(checkpoint)!, path, r.GetValue(probes)!, r.GetValue(writable)!);
            }
            var weightFormat = WeightFormats.Parse(r.GetValue(weights)!);
            var mlnet = (r.GetValue(format) ?? (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? "mlnet" : "onnx")) == "mlnet";
            if (mlnet) return ExportMlNet(r.GetValue(checkpoint)!, path, weightFormat, r.GetValue(probes)!, r.GetValue(writable)!, r.GetValue(embedded), r.GetValue(precision));
            var options = new ExportOptions
            {
                Weights = weightFormat,
                Probes = HookSelection.Parse(r.GetValue(probes)!),
                Writable = HookSelection.Parse(r.GetValue(writable)!),
                EmbeddedInput = r.GetValue(embedded),
                DoublePrecision = r.GetValue(precision),
                Signature = r.GetValue(signature) == "pair" ? GraphSignature.Pair : GraphSignature.Tokens,
            };
            var result = TransformerExporter.ExportFile(r.GetValue(checkpoint)!, path, options);
            var table = new Table().AddColumns("file", "weights", "size", "bits / quantized weight", "probes", "writable hooks");
            table.AddRow(Markup.Escape(Path.GetFullPath(path)), WeightFormats.Name(options.Weights), Size(result.Bytes),
                result.BitsPerQuantizedWeight.ToString(CultureInfo.InvariantCulture),
                result.Probes.Count == 0 ? "none" : result.Probes.Count.ToString(CultureInfo.InvariantCulture),
                result.Writable.Count == 0 ? "none" : result.Writable.Count.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static int ExportSequence(string checkpoint, string path, string probes, string writable)
    {
        var result = SequenceExporter.ExportFile(checkpoint, path, HookSelection.Parse(probes), HookSelection.Parse(writable));
        var table = new Table().AddColumns("file", "model", "size", "probes", "writable hooks");
        table.AddRow(Markup.Escape(Path.GetFullPath(path)), Markup.Escape(SequenceExportMetadata.Read(result.Model, path).Config.Describe()), Size(result.Bytes),
            result.Probes.Count == 0 ? "none" : result.Probes.Count.ToString(CultureInfo.InvariantCulture),
            result.Writable.Count == 0 ? "none" : result.Writable.Count.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        return 0;
    }

    private static int ExportMlNet(string checkpoint, string path, WeightFormat weights, string probes, string writable, bool embedded, bool precision)
    {
        if (HookSelection.Parse(probes) != HookSelection.None || HookSelection.Parse(writable) != HookSelection.None || embedded || precision)
            throw new CliException("The ML.NET model takes A and B and outputs Score, PredictedSum and logits; leave out --probes, --writable, --embedded-input and --double.");
        var bytes = MlNetExport.Save(ModelCheckpoint.Load(checkpoint), path, weights);
        var table = new Table().AddColumns("file", "format", "weights", "size", "columns");
        table.AddRow(Markup.Escape(Path.GetFullPath(path)), "ML.NET model (mlContext.Model.Load)", WeightFormats.Name(weights), Size(bytes),
            "in A, B (Int32); out Score (probabilities), PredictedSum (Vector<Int32, 1>), logits");
        AnsiConsole.Write(table);
        return 0;
    }

    private static string Size(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB");
}
