using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Hooks;

/// <summary>
/// One forward pass of a <see cref="HookedModel"/>: every hook's activation over every position, as the pass used it
/// (after the writes), and what <see cref="HookedModel.Backward(HookedRun, float[])"/> needs besides.
/// </summary>
public sealed class HookedRun
{
    internal HookedRun(HookedModel model, int[] tokens, HookTensors activations, HookWriteSet writes, float[][] softmax, float[] inverseNorm)
    {
        Model = model;
        Tokens = tokens;
        Activations = activations;
        WriteSet = writes;
        Softmax = softmax;
        InverseNorm = inverseNorm;
    }

    /// <summary>[rows, nCtx]</summary>
    public int[] Tokens { get; }
    public int Rows => Tokens.Length / Model.Config.NCtx;
    public HookTensors Activations { get; }
    public IReadOnlyList<HookWrite> Writes => WriteSet.Writes;

    public NamedTensor this[string hook] => Activations[hook];

    /// <summary>[rows, P]: the last position's logits.</summary>
    public float[] Logits => Activations[HookNames.Logits].Data;

    internal HookedModel Model { get; }
    internal HookWriteSet WriteSet { get; }

    /// <summary>Per block, [rows, heads, T, T]: the softmax of the scores before the pattern's writes (the pattern itself when none).</summary>
    internal float[][] Softmax { get; }

    /// <summary>[rows·T]: 1 / max(‖x‖, ε) of the final norm's input at each position; empty without a final norm.</summary>
    internal float[] InverseNorm { get; }
}
