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

    public static StopRecord Parse(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var name = (string)node["stop_reason"]!;
        var reason = Enum.GetValues<StopReason>().First(r => ReasonName(r) == name);
        return new StopRecord(reason, (int)node["epoch"]!, (double?)node["test_acc"], (double?)node["stop_at_acc"]);
    }

    public override string ToString() => Reason switch
    {
        StopReason.AccuracyReached => string.Create(CultureInfo.InvariantCulture,
            $"test accuracy {TestAccuracy:P2} reached --stop-at-acc {StopAtAccuracy:P2} at epoch {Epoch}"),
        StopReason.Interrupted => $"interrupted at epoch {Epoch}",
        _ => $"trained all {Epoch} epochs",
    };
}
