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

    /// <summary>Names of the missing probes.</summary>
    public IReadOnlyList<string> MissingProbes { get; }

    private static string BuildMessage(string modelName, IReadOnlyDictionary<string, IReadOnlyList<string>> missing)
    {
        var lines = missing.Select(kv => $"  {kv.Key} (needed by: {string.Join(", ", kv.Value)})");
        return $"Model '{modelName}' lacks probe outputs the analysis needs:{Environment.NewLine}"
             + string.Join(Environment.NewLine, lines) + Environment.NewLine
             + "Export the model with them: `bitonnx export ... --probes all` or "
             + $"`bitonnx export ... --probes {string.Join(",", missing.Keys)}`.";
    }
}
