namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// Activations of ONE model over all P*P inputs (a, b) in row-major order: row a*P+b holds tokens [a, b, =],
/// with <c>=</c> the token P. Probe names and shapes follow TransformerLens (Core's HookNames).
/// The integrator backs this by running an ONNX export with probe outputs under ONNX Runtime.
/// </summary>
public interface IProbeSource
{
    /// <summary>The modulus P (number of residues; logits have P columns).</summary>
    int P { get; }

    /// <summary>Probe names this source can provide.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The named probe; throws <see cref="MissingProbesException"/> for a name not in <see cref="Names"/>.</summary>
    ProbeTensor Get(string name);
}
