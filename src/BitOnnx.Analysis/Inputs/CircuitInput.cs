using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// A circuit search's result (<c>bitonnx circuit --json</c>) on the graph of the model it is shown with: what the
/// report's circuit section draws.
/// </summary>
/// <param name="Graph">The model's computational graph, from its config.</param>
/// <param name="Report">The search, its first τ's circuit the one drawn.</param>
/// <param name="Model">The model the search names (its file name), when it names one.</param>
public sealed record CircuitInput(CircuitGraph Graph, CircuitReport Report, string? Model)
{
    /// <summary>
    /// Reads <paramref name="path"/> and checks that its circuits were found on a graph of <paramref name="config"/>'s
    /// shape (every edge one of the graph's); an <see cref="AnalysisInputException"/> naming both sides otherwise.
    /// </summary>
    public static CircuitInput Read(string path, TransformerConfig? config, string model)
    {
        if (!File.Exists(path)) throw new AnalysisInputException($"Circuit file '{path}' does not exist; give the JSON that bitonnx circuit --json wrote for model '{model}'.");
        if (config is null)
            throw new AnalysisInputException($"Model '{model}' carries no bitonnx config, so its circuit graph is unknown; give a model written by bitonnx export to show circuit '{path}'.");
        var (name, report) = CircuitJson.Read(path);
        if (report.MlpGroups < 1 || report.MlpGroups > config.DMlp)
            throw new AnalysisInputException($"Circuit file '{path}' splits the MLP into {report.MlpGroups} groups, model '{model}' has {config.DMlp} neurons; give the circuit that bitonnx circuit found on this model.");
        if (report.MlpPartition is { } partition && partition.DMlp != config.DMlp)
            throw new AnalysisInputException($"Circuit file '{path}' splits an MLP of {partition.DMlp} neurons, model '{model}' has {config.DMlp}; give the circuit that bitonnx circuit found on this model.");
        var graph = report.MlpPartition is { } groups ? CircuitGraph.Of(config, groups) : CircuitGraph.Of(config, report.MlpGroups);
        var stranger = report.Circuits.SelectMany(c => c.Edges).FirstOrDefault(e => graph.Find(e.Sender, e.Receiver) is null);
        if (report.EdgesTotal != graph.Edges.Count || stranger is not null)
            throw new AnalysisInputException($"Circuit file '{path}' was found on a graph of {report.EdgesTotal} edges" +
                (stranger is null ? "" : $" with the edge '{stranger.Sender} -> {stranger.Receiver}'") +
                $", not on model '{model}' ({graph.Edges.Count} edges); give the circuit that bitonnx circuit found on this model.");
        if (report.Circuits.Count == 0) throw new AnalysisInputException($"Circuit file '{path}' holds no circuit; give one that bitonnx circuit --json wrote with at least one τ.");
        return new CircuitInput(graph, report, name);
    }
}
