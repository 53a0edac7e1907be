using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Export.Sequence;

/// <summary>What a sequence export wrote: the model, its size, its probes and its writable hooks.</summary>
public sealed record SequenceExportResult(OnnxModel Model, long Bytes, IReadOnlyList<string> Probes, IReadOnlyList<string> Writable);

/// <summary>
/// Writes a <see cref="SequenceModelConfig"/> model (Quirke et al.'s arithmetic transformer) as ONNX: input
/// <c>tokens</c> int64 [batch, seq] (seq any length 1..n_ctx: the model is causal), output <c>logits</c> float
/// [batch, seq, d_vocab_out], the probes asked for under their TransformerLens names, writable hooks in
/// <see cref="Surgery.WritableHooks"/>' form, and metadata that says it is a sequence model of which task
/// (<see cref="SequenceExportMetadata"/>). Binary and ternary linears are stored folded, as float initializers of
/// their quantized values (the 2-bit formats of modular addition's export are not offered here).
/// </summary>
public static class SequenceExporter
{
    public static SequenceExportResult Export(SequenceModelConfig config, IReadOnlyList<NamedTensor> parameters, HookSelection probes,
        HookSelection writable, long? seed = null, long? step = null)
    {
        var c = config.Validated();
        var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var missing = c.Parameters().Where(p => !byName.TryGetValue(p.Name, out var t) || !t.Shape.Equals(p.Shape)).Select(p => p.Name).ToList();
        if (missing.Count > 0) throw new ExportException($"The parameters do not fit the config: {string.Join(", ", missing)} missing or of another shape; export a checkpoint written for this config.");
        var probeNames = SequenceHookDims.Resolve(probes, SequenceHookDims.Probes(c), "probe", "--probes");
        var writableNames = SequenceHookDims.Resolve(writable, SequenceHookDims.Writable(c), "writable hook", "--writable");
        var dims = SequenceHookDims.For(c).ToDictionary(h => h.Name, h => h.Dims);

        var builder = new OnnxGraphBuilder($"bitonnx_{c.Preset}_{c.Task}_{c.Quantization.ToString().ToLowerInvariant()}");
        var logits = new SequenceGraph(builder, c, byName).Emit();
        builder.Output(logits, TensorElementType.Float, dims[HookNames.Logits]);
        foreach (var probe in probeNames) builder.Output(new TensorRef(probe), TensorElementType.Float, dims[probe]);
        var metadata = new SequenceExportMetadata(c, probeNames, writableNames, seed, step, TransformerExporter.ExporterVersion);
        var built = builder.Build(metadata.Entries());
        var model = new OnnxModel(writableNames.Count == 0 ? built : SequenceWritableHooks.Apply(built, writableNames.Select(h => (h, dims[h])).ToList()));
        return new SequenceExportResult(model, model.ToBytes().LongLength, probeNames, writableNames);
    }

    /// <summary>Loads a sequence checkpoint, exports it, and writes the file whole or not at all.</summary>
    public static SequenceExportResult ExportFile(string checkpointPath, string outputPath, HookSelection probes, HookSelection writable)
    {
        var saved = SequenceCheckpoint.Load(checkpointPath);
        var result = Export(saved.Config, saved.Parameters, probes, writable, saved.Seed, saved.Step);
        result.Model.Save(outputPath);
        return result;
    }

    /// <summary>Whether the safetensors file at <paramref name="path"/> says it is a sequence-model checkpoint (false for anything unreadable).</summary>
    public static bool IsSequenceCheckpoint(string path)
    {
        try
        {
            return SafeTensorsFile.Read(path).Metadata.TryGetValue(SequenceCheckpoint.FormatKey, out var format) && format == SequenceCheckpoint.FormatValue;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Core.BitOnnxException)
        {
            return false;
        }
    }
}
