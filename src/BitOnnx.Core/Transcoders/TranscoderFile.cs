using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Transcoders;

/// <summary>
/// transcoder.safetensors: W_enc, b_enc, W_dec, b_dec (float32) with the config and the source model's identity in
/// <c>__metadata__</c> (keys as SAELens' config names them where it has one). The one class that writes and reads it.
/// </summary>
public static class TranscoderFile
{
    public const string FileName = "transcoder.safetensors";

    private const string FormatKey = "format";
    private const string FormatValue = "bitonnx.transcoder";
    private const string KindKey = "architecture";
    private const string DInKey = "d_in";
    private const string DOutKey = "d_out";
    private const string WidthKey = "d_sae";
    private const string KKey = "k";
    private const string L1Key = "l1_coefficient";
    private const string SeedKey = "seed";
    private const string HookInKey = "hook_name";
    private const string HookOutKey = "hook_name_out";
    private const string SourceNameKey = "model_name";
    private const string SourcePKey = "model_p";
    private const string SourceShaKey = "model_weights_sha256";

    public static void Write(string path, Transcoder transcoder)
    {
        var c = transcoder.Config;
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            [KindKey] = KindName(c.Kind),
            [DInKey] = Invariant(c.DIn),
            [DOutKey] = Invariant(c.DOut),
            [WidthKey] = Invariant(c.Width),
            [KKey] = Invariant(c.K),
            [L1Key] = c.L1Coefficient.ToString("R", CultureInfo.InvariantCulture),
            [SeedKey] = Invariant(c.Seed),
            [HookInKey] = c.HookIn,
            [HookOutKey] = c.HookOut,
            [SourceNameKey] = transcoder.Source.Name,
            [SourcePKey] = Invariant(transcoder.Source.P),
            [SourceShaKey] = transcoder.Source.WeightsSha256,
        };
        var tensors = transcoder.Parameters.Entries.Select(e => new NamedTensor(e.Name, e.Shape, transcoder.Parameters.Slice(e).ToArray()));
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>Reads a transcoder; a <see cref="CheckpointException"/> naming the file when it is not one this class wrote.</summary>
    public static Transcoder Read(string path)
    {
        // Checked here so that the message names a transcoder, not the run checkpoint SafeTensorsFile would ask for.
        if (!File.Exists(path))
            throw new CheckpointException(path, $"Transcoder '{path}' does not exist; give the folder bitonnx transcoder train wrote, or its {FileName}.");
        var (tensors, metadata) = SafeTensorsFile.Read(path);
        string Require(string key) => metadata.TryGetValue(key, out var value)
            ? value
            : throw new CheckpointException(path, $"'{path}' is not a transcoder: its metadata lacks '{key}'; give the transcoder.safetensors that bitonnx transcoder train wrote.");
        long Number(string key) => long.TryParse(Require(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new CheckpointException(path, $"'{path}': metadata '{key}' = '{metadata[key]}' is not an integer; the file is corrupt.");
        if (Require(FormatKey) != FormatValue)
            throw new CheckpointException(path, $"'{path}' is a '{metadata[FormatKey]}' file, not a transcoder; give the transcoder.safetensors that bitonnx transcoder train wrote.");
        var kind = Require(KindKey) switch
        {
            "topk" => TranscoderKind.TopK,
            "l1" => TranscoderKind.L1,
            var other => throw new CheckpointException(path, $"'{path}': architecture '{other}' is neither topk nor l1; the file is corrupt."),
        };
        if (!double.TryParse(Require(L1Key), NumberStyles.Float, CultureInfo.InvariantCulture, out var l1))
            throw new CheckpointException(path, $"'{path}': metadata '{L1Key}' is not a number; the file is corrupt.");
        TranscoderConfig config;
        try
        {
            config = new TranscoderConfig(kind, (int)Number(DInKey), (int)Number(DOutKey), (int)Number(WidthKey), (int)Number(KKey), l1, Number(SeedKey),
                Require(HookInKey), Require(HookOutKey)).Validated();
        }
        catch (TranscoderConfigException e)
        {
            throw new CheckpointException(path, $"'{path}' holds an impossible transcoder config: {e.Message}", e);
        }
        var source = new TranscoderSource(Require(SourceNameKey), (int)Number(SourcePKey), Require(SourceShaKey));
        var parameters = ParameterSet.ZerosOf(Transcoder.Layout(config));
        foreach (var entry in parameters.Entries)
        {
            var tensor = tensors.FirstOrDefault(t => t.Name == entry.Name)
                ?? throw new CheckpointException(path, $"'{path}' lacks tensor '{entry.Name}'; the file is corrupt.");
            if (!tensor.Shape.Equals(entry.Shape))
                throw new CheckpointException(path, $"'{path}': tensor '{entry.Name}' has shape {tensor.Shape}, and its config asks for {entry.Shape}; the file is corrupt.");
            tensor.Data.CopyTo(parameters.Slice(entry));
        }
        return new Transcoder(config, parameters, source);
    }

    public static string KindName(TranscoderKind kind) => kind == TranscoderKind.TopK ? "topk" : "l1";

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
