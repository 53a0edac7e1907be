using System.CommandLine;
using System.Globalization;
using BitOnnx.Onnx.Export;
using Spectre.Console;

namespace BitOnnx.Cli.Commands;

/// <summary><c>bitonnx export</c>: a checkpoint folded into an ONNX graph.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A model.safetensors written by bitonnx train (or one of its checkpoints/)." };
        var output = new Option<string>("--output", "-o") { Description = "The .onnx file to write (written whole or not at all).", Required = true };
        var weights = new Option<string>("--weights") { Description = "float (folded float32), int8 (codes + DequantizeLinear), int2 (MatMulNBits, 4 codes per byte) or int8-dynamic (MatMulInteger, approximate).", DefaultValueFactory = _ => "float" };
        weights.AcceptOnlyFromAmong(WeightFormats.Names.ToArray());
        var probes = new Option<string>("--probes") { Description = "Extra outputs: none, all, or comma-separated TransformerLens hook names (e.g. blocks.0.mlp.hook_post).", DefaultValueFactory = _ => "none" };
        var embedded = new Option<bool>("--embedded-input") { Description = "Take the token embeddings [batch, n_ctx, d_model] as input instead of tokens (for gradients with respect to them)." };
        var precision = new Option<bool>("--double") { Description = "Compute in float64 (with --weights float), for finite differences." };

        var command = new Command("export", "Fold a checkpoint's quantized weights into an ONNX graph, optionally with probe outputs.")
        {
            checkpoint, output, weights, probes, embedded, precision,
        };
        command.SetAction(r => CliRunner.Guard(() =>
        {
            var options = new ExportOptions
            {
                Weights = WeightFormats.Parse(r.GetValue(weights)!),
                Probes = ProbeSelection.Parse(r.GetValue(probes)!),
                EmbeddedInput = r.GetValue(embedded),
                DoublePrecision = r.GetValue(precision),
            };
            var path = r.GetValue(output)!;
            var result = TransformerExporter.ExportFile(r.GetValue(checkpoint)!, path, options);
            var table = new Table().AddColumns("file", "weights", "size", "bits / quantized weight", "probes");
            table.AddRow(Markup.Escape(Path.GetFullPath(path)), WeightFormats.Name(options.Weights),
                string.Create(CultureInfo.InvariantCulture, $"{result.Bytes / 1024.0:F1} KiB"),
                result.BitsPerQuantizedWeight.ToString(CultureInfo.InvariantCulture),
                result.Probes.Count == 0 ? "none" : result.Probes.Count.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}
