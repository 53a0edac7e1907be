using System.Text.Json;
using BitOnnx.Core.Checkpoints;

namespace BitOnnx.Core.Circuits;

/// <summary>
/// A <see cref="CircuitReport"/> as JSON, written atomically (a temporary sibling, then a rename) and read back here.
/// The top level describes the circuit of the first τ (<c>tau</c>, <c>edges_total</c>, <c>edges_kept</c>,
/// <c>metric_circuit</c>, <c>metric_recovered</c>, <c>seconds</c>, <c>edges</c> as {sender, receiver, score}) beside
/// the search (<c>model</c>, <c>method</c>, <c>metric</c>, <c>corrupt</c>, <c>seed</c>, <c>rows</c>,
/// <c>metric_clean</c>, <c>metric_corrupted</c>); <c>curve</c> holds every τ's circuit the same way, and <c>area</c>
/// the area under the faithfulness curve; <c>mlp_groups</c>, only when the MLPs were split into groups of neurons, and
/// <c>mlp_partition</c> ({label, neurons} per group) only when those groups are not contiguous. A number that is not one (a recovery with clean = corrupted) is null.
/// </summary>
public static class CircuitJson
{
    public static void Write(string path, CircuitReport report, string? model = null) =>
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            if (model is not null) json.WriteString("model", model);
            json.WriteString("method", CircuitReport.NameOf(report.Method));
            json.WriteString("metric", CircuitReport.NameOf(report.Metric));
            json.WriteString("corrupt", CircuitReport.NameOf(report.Corruption));
            json.WriteNumber("seed", report.Seed);
            json.WriteNumber("rows", report.Rows);
            if (report.MlpGroups != 1) json.WriteNumber("mlp_groups", report.MlpGroups);
            if (report.MlpPartition is { IsContiguous: false } partition)
            {
                json.WriteStartArray("mlp_partition");
                foreach (var group in partition.Groups)
                {
                    json.WriteStartObject();
                    json.WriteString("label", group.Label);
                    json.WriteStartArray("neurons");
                    foreach (var n in group.Neurons) json.WriteNumberValue(n);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            Number(json, "metric_clean", report.MetricClean);
            Number(json, "metric_corrupted", report.MetricCorrupted);
            if (report.Circuits.Count > 0) Circuit(json, report.Circuits[0]);
            else json.WriteNumber("edges_total", report.EdgesTotal);
            json.WriteStartArray("curve");
            foreach (var circuit in report.Circuits)
            {
                json.WriteStartObject();
                Circuit(json, circuit);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            Number(json, "area", report.Area);
            json.WriteEndObject();
        });

    /// <summary>The report and the model name of a file <see cref="Write"/> wrote; an <see cref="InvalidFileException"/> for anything else.</summary>
    public static (string? Model, CircuitReport Report) Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var circuits = root.GetProperty("curve").EnumerateArray().Select(ReadCircuit).ToList();
            var report = new CircuitReport(
                Parse<CircuitMethod>(root, "method", CircuitReport.NameOf), Parse<CircuitMetric>(root, "metric", CircuitReport.NameOf),
                Parse<Corruption>(root, "corrupt", CircuitReport.NameOf), root.GetProperty("seed").GetInt64(), root.GetProperty("rows").GetInt32(),
                root.GetProperty("edges_total").GetInt32(), Double(root, "metric_clean"), Double(root, "metric_corrupted"), circuits)
            {
                MlpGroups = root.TryGetProperty("mlp_groups", out var groups) ? groups.GetInt32() : 1,
                MlpPartition = root.TryGetProperty("mlp_partition", out var partition) ? ReadPartition(partition) : null,
            };
            return (root.TryGetProperty("model", out var m) ? m.GetString() : null, report);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidFileException(path, $"'{path}' is not a circuit file written by bitonnx circuit ({e.Message}).", e);
        }
    }

    private static MlpPartition ReadPartition(JsonElement e)
    {
        var groups = e.EnumerateArray()
            .Select(g => new MlpGroup(g.GetProperty("label").GetString()!, g.GetProperty("neurons").EnumerateArray().Select(n => n.GetInt32()).ToArray()))
            .ToList();
        try
        {
            return MlpPartition.Of(groups.Sum(g => g.Neurons.Count), groups);
        }
        catch (CircuitException x)
        {
            throw new FormatException(x.Message, x);
        }
    }

    private static void Circuit(Utf8JsonWriter json, FoundCircuit circuit)
    {
        json.WriteNumber("tau", circuit.Tau);
        json.WriteNumber("edges_total", circuit.EdgesTotal);
        json.WriteNumber("edges_kept", circuit.EdgesKept);
        Number(json, "metric_circuit", circuit.MetricCircuit);
        Number(json, "metric_recovered", circuit.MetricRecovered);
        json.WriteNumber("seconds", circuit.Seconds);
        json.WriteStartArray("edges");
        foreach (var edge in circuit.Edges)
        {
            json.WriteStartObject();
            json.WriteString("sender", edge.Sender);
            json.WriteString("receiver", edge.Receiver);
            Number(json, "score", edge.Score);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static FoundCircuit ReadCircuit(JsonElement e) => new(
        e.GetProperty("tau").GetDouble(), e.GetProperty("edges_total").GetInt32(),
        e.GetProperty("edges").EnumerateArray().Select(x => new ScoredEdge(x.GetProperty("sender").GetString()!, x.GetProperty("receiver").GetString()!, Double(x, "score"))).ToList(),
        Double(e, "metric_circuit"), Double(e, "metric_recovered"), e.GetProperty("seconds").GetDouble());

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    private static double Double(JsonElement e, string name) =>
        e.GetProperty(name) is { ValueKind: JsonValueKind.Null } ? double.NaN : e.GetProperty(name).GetDouble();

    private static T Parse<T>(JsonElement root, string name, Func<T, string> nameOf) where T : struct, Enum
    {
        var text = root.GetProperty(name).GetString();
        return Enum.GetValues<T>().Where(v => nameOf(v) == text).Select(v => (T?)v).FirstOrDefault()
            ?? throw new FormatException($"{name} '{text}' is none of {string.Join(", ", Enum.GetValues<T>().Select(nameOf))}");
    }
}
