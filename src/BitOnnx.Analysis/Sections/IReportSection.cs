using System.Reflection;
using System.Text.Json;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Sections;

/// <summary>
/// An analysis that brings its own part of the report: what it computes on a model, what it writes into summary.json,
/// the CSV tables and the page's data, and how the page draws it (its renderers' script). Adding an analysis is one
/// class implementing this: <see cref="ReportSections.All"/> finds it, <see cref="ModelAnalyzer"/> runs it and the report
/// writes it, without an edit elsewhere.
/// </summary>
public interface IReportSection
{
    /// <summary>Key in summary.json and the page data, prefix of its CSV files, anchor of its section: "ablation".</summary>
    string Id { get; }

    /// <summary>The section's heading.</summary>
    string Title { get; }

    /// <summary>What the section shows and how it was computed (HTML).</summary>
    string Caption { get; }

    /// <summary>Its renderers, each drawn once per model that has a result, in this order.</summary>
    IReadOnlyList<string> Plots { get; }

    /// <summary>
    /// JavaScript that registers the renderers: <c>BitOnnxReport.renderers.NAME = function (div, m, data, r) { ... }</c>
    /// with m the model's page data, data this section's, r the page's helpers (draw, layout, header, heatmapTrace, ...).
    /// </summary>
    string Script { get; }

    /// <summary>The result on one model, or null with <paramref name="skipped"/> saying why when the model cannot have it.</summary>
    SectionResult? Compute(SectionContext context, out string? skipped);
}

/// <summary>What a section found on one model, able to write itself.</summary>
public abstract class SectionResult
{
    /// <summary>Its entry in summary.json: one JSON object, full precision.</summary>
    public abstract void WriteSummary(Utf8JsonWriter w);

    /// <summary>The data its renderers draw: one JSON object.</summary>
    public abstract void WritePageData(Utf8JsonWriter w);

    /// <summary>Its CSV tables: file name (without the section's prefix) and text.</summary>
    public abstract IEnumerable<(string File, string Text)> Tables();
}

/// <summary>Everything a section may read about one model.</summary>
/// <param name="Model">Its probes, weights and run.</param>
/// <param name="Analysis">The core analyses' results (neuron clusters, the learning gate, ...).</param>
/// <param name="Config">Its config, when the model carries one.</param>
/// <param name="Session">The model on ONNX Runtime, for interventions, when it is an ONNX model.</param>
/// <param name="Options">The analysis settings.</param>
/// <param name="Progress">Where to report how far it is (0..1).</param>
public sealed record SectionContext(ModelInputs Model, ModelAnalysis Analysis, TransformerConfig? Config, ModelSession? Session,
    AnalysisOptions Options, IProgress<double> Progress)
{
    /// <summary>A folded weight by TransformerLens name, or null when the model's weights do not hold it.</summary>
    public float[]? Weight(string name) => Model.Weights?.TryGet(name, out var w) == true ? w.Data : null;
}

/// <summary>Every section this assembly defines, in the order the report shows them (by <see cref="ReportOrderAttribute"/>).</summary>
public static class ReportSections
{
    public static IReadOnlyList<IReportSection> All { get; } = typeof(IReportSection).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IReportSection).IsAssignableFrom(t))
        .OrderBy(t => t.GetCustomAttribute<ReportOrderAttribute>()?.Order ?? int.MaxValue).ThenBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (IReportSection)Activator.CreateInstance(t)!)
        .ToList();
}

/// <summary>Where a section stands in the report, after the core analyses: lower first.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ReportOrderAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}
