using BitOnnx.Core;

namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// The model lacks probes an analysis needs. The message names the probes, the analyses that need them, and the
/// export flag that adds them.
/// </summary>
public sealed class MissingProbesException : BitOnnxException
{
    /// <summary>Creates the exception for probes missing from one model.</summary>
    public MissingProbesException(string modelName, IReadOnlyDictionary<string, IReadOnlyList<string>> missingByProbe)
        : base(BuildMessage(modelName, missingByProbe))
    {
        MissingProbes = missingByProbe.Keys.ToArray();
    }

    /// <summary>The exception for one probe a caller asked for by name.</summary>
    public MissingProbesException(string modelName, string probe)
        : this(modelName, new Dictionary<string, IReadOnlyList<string>> { [probe] = ["what was asked"] })
    {
    }

    /// <summary>Names of the missing probes.</summary>
    public IReadOnlyList<string> MissingProbes { get; }

    private static string BuildMessage(string modelName, IReadOnlyDictionary<string, IReadOnlyList<string>> missing) =>
        $"Model '{modelName}' lacks probe outputs the analysis needs: " +
        string.Join(", ", missing.Select(kv => $"{kv.Key} (for {string.Join(", ", kv.Value)})")) +
        $"; export the model with them: bitonnx export ... --probes all, or --probes {string.Join(",", missing.Keys)}.";
}
