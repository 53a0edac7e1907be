using System.Globalization;
using System.Text.Json.Nodes;

namespace BitOnnx.Core.Training;

/// <summary>Why a run stopped before or at its last epoch.</summary>
public enum StopReason
{
    /// <summary>It trained every epoch of <see cref="TrainingOptions.Epochs"/>.</summary>
    EpochsDone,

    /// <summary>A logged test accuracy reached <see cref="TrainingOptions.StopAtAccuracy"/>.</summary>
    AccuracyReached,

    /// <summary>Cancelled (Ctrl-C); the run folder holds a consistent state to resume from.</summary>
    Interrupted,
}

/// <summary>
/// The run folder's stop.json: why the run stopped, at which epoch, with the logged test accuracy there. Written once
/// a run ends (temp + rename) and deleted when a run starts or resumes, so it never describes a run still going.
/// </summary>
public sealed record StopRecord(StopReason Reason, int Epoch, double? TestAccuracy, double? StopAtAccuracy)
{
    public static string ReasonName(StopReason reason) => reason switch
    {
        StopReason.EpochsDone => "epochs",
        StopReason.AccuracyReached => "accuracy",
        StopReason.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    public string ToJson() => new JsonObject
    {
        ["stop_reason"] = ReasonName(Reason),
        ["epoch"] = Epoch,
        ["test_acc"] = TestAccuracy,
        ["stop_at_acc"] = StopAtAccuracy,
    }.ToJsonString();

    /// <summary>Parses stop.json text; <paramref name="path"/> names the file in errors.</summary>
    public static StopRecord Parse(string json, string path)
    {
        RunFolderException Bad(string what) => new(path, $"{path} {what}; it is not a stop.json written by bitonnx train (delete it and resume the run).");
        JsonObject node;
        try
        {
            node = JsonNode.Parse(json) as JsonObject ?? throw Bad("is not a JSON object");
        }
        catch (System.Text.Json.JsonException)
        {
            throw Bad("is not valid JSON");
        }
        var name = node["stop_reason"] is JsonValue v && v.TryGetValue(out string? text) ? text : throw Bad("has no stop_reason");
        var reason = Enum.GetValues<StopReason>().Where(r => ReasonName(r) == name).Select(r => (StopReason?)r).FirstOrDefault()
            ?? throw Bad($"has stop_reason '{name}', not one of {string.Join(", ", Enum.GetValues<StopReason>().Select(ReasonName))}");
        var epoch = node["epoch"] is JsonValue e && e.TryGetValue(out int n) && n >= 0 ? n : throw Bad("has no epoch");
        return new StopRecord(reason, epoch, Fraction(node["test_acc"], "test_acc"), Fraction(node["stop_at_acc"], "stop_at_acc"));

        double? Fraction(JsonNode? value, string key) =>
            value is null ? null
            : value is JsonValue number && number.TryGetValue(out double d) && double.IsFinite(d) ? d
            : throw Bad($"has {key} {value.ToJsonString()}, not a number");
    }

    public override string ToString() => Reason switch
    {
        StopReason.AccuracyReached => string.Create(CultureInfo.InvariantCulture,
            $"test accuracy {TestAccuracy:P2} reached --stop-at-acc {StopAtAccuracy:P2} at epoch {Epoch}"),
        StopReason.Interrupted => $"interrupted at epoch {Epoch}",
        _ => $"trained all {Epoch} epochs",
    };
}
