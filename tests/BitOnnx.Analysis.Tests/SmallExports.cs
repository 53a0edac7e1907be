using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;

namespace BitOnnx.Analysis.Tests;

/// <summary>The untrained P = 11 ternary export the report sections' tests read, with every probe.</summary>
internal static class SmallExports
{
    public const int P = 11;

    /// <summary>Writes it as <paramref name="folder"/>/<paramref name="file"/>, writable at <paramref name="writable"/>, and returns the path.</summary>
    public static string Write(string folder, string file, HookSelection writable)
    {
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Interventions(TransformerConfig.Li2024Name, P, WeightQuantization.Ternary), seed: 13);
        var path = Path.Combine(folder, file);
        TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Float, Probes = HookSelection.Every, Writable = writable }).Model.Save(path);
        return path;
    }
}
