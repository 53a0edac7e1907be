using System.Globalization;
using System.Reflection;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Export;

/// <summary>What an export wrote: the model, its size, and how densely it stores the quantized weights.</summary>
public sealed record ExportResult(OnnxModel Model, long Bytes, int BitsPerQuantizedWeight, IReadOnlyList<string> Probes);

/// <summary>
/// Folds a trained checkpoint into an ONNX graph: input <c>tokens</c> int64 [batch, nCtx] (or the embedded sequence),
/// output <c>logits</c> [batch, P] at the last position, plus the probe outputs asked for. The quantizer runs once, here.
/// </summary>
public static class TransformerExporter
{
    public const string MetadataPrefix = "bitonnx.";

    public static string ExporterVersion =>
        typeof(TransformerExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static ExportResult Export(ModelCheckpoint.Loaded checkpoint, ExportOptions options)
    {
        var c = checkpoint.Config;
        if (options.DoublePrecision && options.Weights != WeightFormat.Float)
            throw new ExportException("Double precision is available with --weights float only.");
        if (options.Signature == GraphSignature.Pair && options.EmbeddedInput)
            throw new ExportException("The pair signature takes A and B, not embeddings; leave out --embedded-input.");
        var probes = options.Probes.Resolve(c);
        var builder = new OnnxGraphBuilder($"bitonnx_{c.Preset}_{c.Quantization.ToString().ToLowerInvariant()}");
        if (options.Weights == WeightFormat.Int2Native) builder.UseOpset(OnnxVersions.MicrosoftDomain, OnnxVersions.MicrosoftOpset);
        var writer = new GraphWriter(builder, options.DoublePrecision);
        // Without probes nothing needs the other positions, so the graph takes the engine's exact shortcuts.
        var lastPositionOnly = probes.Count == 0;
        if (options.PrecomputedTables && !lastPositionOnly)
            throw new ExportException("Precomputed tables exist only in graphs without probes; leave out the probes or the tables.");
        var graph = new TransformerGraph(writer, c, checkpoint.Parameters, new LinearEmitter(writer, options.Weights), lastPositionOnly,
            options.PrecomputedTables);
        if (options.Signature == GraphSignature.Pair)
            PairSignature.Outputs(writer, graph.Emit(embeddedInput: false, PairSignature.Tokens(writer, c.P)), c.DVocabOut);
        else
            builder.Output(graph.Emit(options.EmbeddedInput), writer.Element, ["batch", c.DVocabOut]);

        var shapes = HookNames.For(c, 1).ToDictionary(h => h.Name, h => h.Shape);
        foreach (var probe in probes)
        {
            var dims = shapes[probe].Dims.Select((d, i) => i == 0 ? (Dim)"batch" : (Dim)d).ToList();
            builder.Output(new TensorRef(probe), writer.Element, dims);
        }

        var model = new OnnxModel(builder.Build(Metadata(checkpoint, options, probes)));
        var bytes = model.ToBytes().LongLength;
        return new ExportResult(model, bytes, WeightFormats.BitsPerWeight(options.Weights), probes);
    }

    /// <summary>Loads a checkpoint, exports it, and writes the file whole or not at all.</summary>
    public static ExportResult ExportFile(string checkpointPath, string outputPath, ExportOptions options)
    {
        var result = Export(ModelCheckpoint.Load(checkpointPath), options);
        result.Model.Save(outputPath);
        return result;
    }

    private static Dictionary<string, string> Metadata(ModelCheckpoint.Loaded checkpoint, ExportOptions options, IReadOnlyList<string> probes)
    {
        var c = checkpoint.Config;
        string S(long v) => v.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            [MetadataPrefix + "config"] = c.ToJson(),
            [MetadataPrefix + "preset"] = c.Preset,
            [MetadataPrefix + "quant"] = c.Quantization.ToString().ToLowerInvariant(),
            [MetadataPrefix + "quant_scope"] = c.QuantScope.ToString().ToLowerInvariant(),
            [MetadataPrefix + "p"] = S(c.P),
            [MetadataPrefix + "weights"] = WeightFormats.Name(options.Weights),
            [MetadataPrefix + "input"] = options.Signature == GraphSignature.Pair ? "pair"
                : options.EmbeddedInput ? TransformerGraph.EmbeddedInput : TransformerGraph.TokensInput,
            [MetadataPrefix + "precision"] = options.DoublePrecision ? "double" : "float",
            [MetadataPrefix + "probes"] = string.Join(",", probes),
            [MetadataPrefix + "seed"] = S(checkpoint.Facts.Seed),
            [MetadataPrefix + "epoch"] = S(checkpoint.Facts.Epoch),
            [MetadataPrefix + "train_fraction"] = checkpoint.Facts.TrainFraction.ToString("R", CultureInfo.InvariantCulture),
            [MetadataPrefix + "exporter_version"] = ExporterVersion,
        };
    }
}
