using System.Reflection;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Surgery;

namespace BitOnnx.Onnx.Export;

/// <summary>What an export wrote: the model, its size, and how densely it stores the quantized weights.</summary>
public sealed record ExportResult(OnnxModel Model, long Bytes, int BitsPerQuantizedWeight, IReadOnlyList<string> Probes, IReadOnlyList<string> Writable);

/// <summary>
/// Folds a trained checkpoint into an ONNX graph: input <c>tokens</c> int64 [batch, nCtx] (or the embedded sequence),
/// output <c>logits</c> [batch, P] at the last position, plus the probe outputs asked for. The quantizer runs once, here.
/// </summary>
public static class TransformerExporter
{
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
        var writable = options.Writable.ResolveWritable(c);
        var builder = new OnnxGraphBuilder($"bitonnx_{c.Preset}_{c.Quantization.ToString().ToLowerInvariant()}");
        if (options.Weights == WeightFormat.Int2Native) builder.UseOpset(OnnxVersions.MicrosoftDomain, OnnxVersions.MicrosoftOpset);
        var writer = new GraphWriter(builder, options.DoublePrecision);
        // Without probes or writable hooks nothing needs the other positions, so the graph takes the engine's exact shortcuts.
        var lastPositionOnly = probes.Count == 0 && writable.Count == 0;
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

        var built = builder.Build(Metadata(checkpoint, options, probes, writable).Entries());
        var model = new OnnxModel(writable.Count == 0 ? built : WritableHooks.Apply(built, c, writable, writer.Element));
        var bytes = model.ToBytes().LongLength;
        return new ExportResult(model, bytes, WeightFormats.BitsPerWeight(options.Weights), probes, writable);
    }

    /// <summary>Loads a checkpoint, exports it, and writes the file whole or not at all.</summary>
    public static ExportResult ExportFile(string checkpointPath, string outputPath, ExportOptions options)
    {
        var result = Export(ModelCheckpoint.Load(checkpointPath), options);
        result.Model.Save(outputPath);
        return result;
    }

    private static ExportMetadata Metadata(ModelCheckpoint.Loaded checkpoint, ExportOptions options, IReadOnlyList<string> probes,
        IReadOnlyList<string> writable) => new(
        checkpoint.Config.P,
        checkpoint.Config,
        WeightFormats.Name(options.Weights),
        options.Signature == GraphSignature.Pair ? ExportMetadata.PairInput : options.EmbeddedInput ? ModelContract.Embedded : ModelContract.Tokens,
        options.DoublePrecision ? "double" : "float",
        probes,
        checkpoint.Facts.Seed,
        checkpoint.Facts.Epoch,
        checkpoint.Facts.TrainFraction,
        ExporterVersion,
        checkpoint.Parameters.Sha256(),
        writable);
}
