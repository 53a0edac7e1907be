namespace BitOnnx.Core.Interventions;

/// <summary>What an intervention writes into the elements it selects.</summary>
public enum InterventionKind
{
    /// <summary>0 (zero ablation).</summary>
    Zero,

    /// <summary>The element's mean over every row of the clean run: over all P² pairs, separately at each position (mean ablation).</summary>
    Mean,

    /// <summary>The element's clean value at another row, the same for every element of a row (resample ablation).</summary>
    Resample,

    /// <summary>Given values: a cache of another input (activation patching), or any values a caller chose.</summary>
    Values,
}

/// <summary>
/// One write into a hook during a forward pass: <c>H' = M ? V : H</c> with M true on the elements <see cref="Index"/>
/// selects, and V what <see cref="Kind"/> says (auto-circuit's <c>H + M ⊙ (V − H)</c> for a mask of 0s and 1s, taken as a
/// select so that written elements are V to the bit; with every mask false the run is the clean run). The engine,
/// TorchSharp and ONNX Runtime all take it (<see cref="HookWrites.Resolve"/>), so one test can hold them equal.
/// </summary>
/// <param name="Hook">A TransformerLens hook name the model computes (<see cref="Model.HookNames"/>).</param>
/// <param name="Index">The elements of each row it writes.</param>
/// <param name="Kind">What it writes there.</param>
public sealed record Intervention(string Hook, HookIndex Index, InterventionKind Kind)
{
    /// <summary>
    /// For <see cref="InterventionKind.Values"/>: the values, a whole row of the hook for every row ([rows, row size],
    /// row-major) or one row for all ([row size]). Only the selected elements are read.
    /// </summary>
    public float[]? Values { get; init; }

    public static Intervention Zero(string hook, HookIndex? index = null) => new(hook, index ?? HookIndex.All, InterventionKind.Zero);

    public static Intervention Mean(string hook, HookIndex? index = null) => new(hook, index ?? HookIndex.All, InterventionKind.Mean);

    public static Intervention Resample(string hook, HookIndex? index = null) => new(hook, index ?? HookIndex.All, InterventionKind.Resample);

    public static Intervention Patch(string hook, float[] values, HookIndex? index = null) =>
        new(hook, index ?? HookIndex.All, InterventionKind.Values) { Values = values };

    /// <summary>The component as tables name it: <c>blocks.0.attn.hook_z[head=1]</c>.</summary>
    public string Component => Hook + Index.Describe(pattern: Hook.EndsWith("hook_pattern", StringComparison.Ordinal));
}
