using BitOnnx.Core.Interventions;

namespace BitOnnx.Analysis.Interventions;

/// <summary>A forward pass's activations at some hooks, and d metric / d hook at each when a metric was given.</summary>
/// <param name="Activations">Hook name → values [rows, the hook's row].</param>
/// <param name="Gradients">Hook name → d metric / d values, the same shape; null when no metric was asked for.</param>
public sealed record HookPass(IReadOnlyDictionary<string, float[]> Activations, IReadOnlyDictionary<string, float[]>? Gradients);

/// <summary>
/// A backend that differentiates a metric of the logits with respect to every hook: what attribution patching needs and
/// ONNX Runtime's inference graphs cannot give. The engine implements it (BitOnnx.Pipelines' EngineHookGradients, from
/// the ONNX model's own folded weights), so the analyses here stay free of any trainer.
/// </summary>
public interface IHookGradients
{
    /// <summary>What computes the gradients, in words (for tables and reports).</summary>
    string Describe { get; }

    /// <summary>Runs token rows [rows, n_ctx] and returns <paramref name="hooks"/>' activations, and their gradients of <paramref name="metric"/> when given.</summary>
    HookPass Run(long[] tokens, IReadOnlyCollection<string> hooks, LogitMetric? metric);
}
