using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// What a model says of the transcoder spliced into it by <see cref="TranscoderSurgery"/> or
/// <see cref="SimulatedTranscoderSurgery"/>: read back from its <c>bitonnx.transcoder.*</c> metadata and, for a trained
/// encoder, its <c>transcoder.*</c> initializers. Written and read here, beside the surgeries that write them.
/// </summary>
/// <param name="FromExplanations">The latents come from a simulator of their explanations, not from an encoder.</param>
/// <param name="Width">Latents (d_sae).</param>
/// <param name="HookIn">The hook the transcoder reads (the MLP's input).</param>
/// <param name="HookOut">The hook it writes in place of the MLP (the MLP's output).</param>
public sealed record SplicedTranscoder(bool FromExplanations, int Width, string HookIn, string HookOut)
{
    /// <summary>The splice a model's metadata records, or null when nothing was spliced into it.</summary>
    public static SplicedTranscoder? Of(IReadOnlyDictionary<string, string> metadata)
    {
        const string prefix = TranscoderSurgery.MetadataPrefix;
        if (!metadata.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal))) return null;
        string Get(string key, string fallback) => metadata.TryGetValue(prefix + key, out var v) ? v : fallback;
        int.TryParse(Get("d_sae", "0"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var width);
        return new SplicedTranscoder(Get("encoder", "") == "explanations", width, Get("hook_name", TranscoderConfig.MlpInput), Get("hook_name_out", TranscoderConfig.MlpOutput));
    }

    /// <summary>The splice <paramref name="model"/> records, or null.</summary>
    public static SplicedTranscoder? Of(OnnxModel model) => Of(model.Metadata);

    /// <summary>
    /// The transcoder spliced into <paramref name="model"/> with its trained encoder, read from the graph's initializers
    /// and metadata, named as made by <paramref name="source"/>; a <see cref="ModelContractException"/> for a splice from
    /// explanations (no encoder) or a graph whose transcoder is incomplete.
    /// </summary>
    public static Transcoder ReadTranscoder(OnnxModel model, string name, TranscoderSource source)
    {
        var splice = Of(model) ?? throw new ModelContractException($"Model '{name}' has no transcoder spliced in; give one that bitonnx transcoder splice wrote.");
        if (splice.FromExplanations)
            throw new ModelContractException($"Model '{name}' computes its latents from their explanations (transcoder splice --from-explanations), so it holds no encoder to rerun; splice the transcoder itself for this.");
        var m = model.Metadata;
        string Meta(string key) => m.TryGetValue(TranscoderSurgery.MetadataPrefix + key, out var v)
            ? v
            : throw new ModelContractException($"Model '{name}' lacks metadata '{TranscoderSurgery.MetadataPrefix + key}' of its spliced transcoder; splice it again with bitonnx transcoder splice.");
        var names = model.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        float[] Read(string parameter) => names.Contains(TranscoderSurgery.Prefix + parameter)
            ? model.ReadInitializer<float>(TranscoderSurgery.Prefix + parameter)
            : throw new ModelContractException($"Model '{name}' lacks the spliced transcoder's '{TranscoderSurgery.Prefix + parameter}'; splice it again with bitonnx transcoder splice.");
        var kind = Meta("architecture") == "topk" ? TranscoderKind.TopK : TranscoderKind.L1;
        var (bEnc, bDec) = (Read(Transcoder.EncoderBias), Read(Transcoder.DecoderBias));
        var config = new TranscoderConfig(kind, Read(Transcoder.EncoderWeight).Length / bEnc.Length, bDec.Length, bEnc.Length,
            int.Parse(Meta("k"), CultureInfo.InvariantCulture), double.Parse(Meta("l1_coefficient"), CultureInfo.InvariantCulture),
            long.Parse(Meta("seed"), CultureInfo.InvariantCulture), splice.HookIn, splice.HookOut);
        var parameters = ParameterSet.ZerosOf(Transcoder.Layout(config.Validated()));
        foreach (var entry in parameters.Entries)
        {
            var values = Read(entry.Name);
            if (values.Length != entry.Shape.Size)
                throw new ModelContractException($"Model '{name}': the spliced transcoder's '{entry.Name}' holds {values.Length} values, not {entry.Shape.Size}; splice it again with bitonnx transcoder splice.");
            values.CopyTo(parameters[entry.Name]);
        }
        return new Transcoder(config, parameters, source);
    }
}
