using System.Text.Json.Nodes;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>How a cell ended, as its status.json says; a cell without one has not ended (never run, running, killed).</summary>
public enum CellState
{
    /// <summary>Its run ended normally (all epochs, or the accuracy asked for).</summary>
    Done,

    /// <summary>Its run failed; <see cref="CellStatus.Error"/> says why. A rerun tries it again.</summary>
    Failed,
}

/// <summary>
/// A cell's status.json: done at an epoch (an arithmetic cell: at a step), or failed with the error line a user would
/// have seen.
/// </summary>
public sealed record CellStatus(CellState State, int? Epoch, string? Error, long? Step = null)
{
    public static CellStatus Done(int epoch) => new(CellState.Done, epoch, null);

    public static CellStatus DoneAtStep(long step) => new(CellState.Done, null, null, step);

    /// <summary>"epoch 420" or "step 8000": where a done cell ended.</summary>
    public string Describe() => Step is { } step ? $"step {step}" : $"epoch {Epoch}";

    public static CellStatus Failed(string error) => new(CellState.Failed, null, error);

    public string ToJson()
    {
        var json = new JsonObject
        {
            ["state"] = State == CellState.Done ? "done" : "failed",
            ["epoch"] = Epoch,
            ["error"] = Error,
        };
        // Only arithmetic cells have steps; a modular-addition cell's status keeps its bytes.
        if (Step is { } step) json["step"] = step;
        return json.ToJsonString() + "\n";
    }

    /// <summary>Reads status.json; <paramref name="path"/> names it when the text is not one.</summary>
    public static CellStatus Parse(string json, string path)
    {
        try
        {
            var node = JsonNode.Parse(json)!.AsObject();
            var state = (string?)node["state"] switch
            {
                "done" => CellState.Done,
                "failed" => CellState.Failed,
                var other => throw new FormatException($"state '{other}'"),
            };
            return new CellStatus(state, (int?)node["epoch"], (string?)node["error"], (long?)node["step"]);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            throw new CellStatusException($"{path} is not a cell status written by bitonnx sweep ({e.Message}); delete it to run the cell again.");
        }
    }
}

/// <summary>A status.json that bitonnx sweep did not write; the message names it and how to go on.</summary>
public sealed class CellStatusException(string message) : Core.BitOnnxException(message);
