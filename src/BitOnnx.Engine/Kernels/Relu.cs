using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace BitOnnx.Engine.Kernels;

/// <summary>ReLU and its backward mask, vectorised over whole rows; <see cref="ReluReference"/> is the scalar twin.</summary>
public static class Relu
{
    public static void Forward(ReadOnlySpan<float> pre, Span<float> post) => TensorPrimitives.Max(pre, 0f, post);

    /// <summary>dPre = dPost where pre &gt; 0, else 0 (the subgradient at 0 is 0, as in PyTorch).</summary>
    public static void Backward(ReadOnlySpan<float> pre, ReadOnlySpan<float> dPost, Span<float> dPre)
    {
        if (pre.Length != dPost.Length || pre.Length != dPre.Length) throw new ArgumentException("pre, dPost and dPre must have the same length.");
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= pre.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(pre.Slice(i, Vector512<float>.Count)), Vector512<float>.Zero);
                Vector512.ConditionalSelect(mask, Vector512.Create(dPost.Slice(i, Vector512<float>.Count)), Vector512<float>.Zero)
                    .CopyTo(dPre.Slice(i, Vector512<float>.Count));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= pre.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(pre.Slice(i, Vector256<float>.Count)), Vector256<float>.Zero);
                Vector256.ConditionalSelect(mask, Vector256.Create(dPost.Slice(i, Vector256<float>.Count)), Vector256<float>.Zero)
                    .CopyTo(dPre.Slice(i, Vector256<float>.Count));
            }
        }
        for (; i < pre.Length; i++) dPre[i] = pre[i] > 0f ? dPost[i] : 0f;
    }
}

public static class ReluReference
{
    public static void Forward(ReadOnlySpan<float> pre, Span<float> post)
    {
        for (var i = 0; i < pre.Length; i++) post[i] = pre[i] > 0f ? pre[i] : 0f;
    }

    public static void Backward(ReadOnlySpan<float> pre, ReadOnlySpan<float> dPost, Span<float> dPre)
    {
        for (var i = 0; i < pre.Length; i++) dPre[i] = pre[i] > 0f ? dPost[i] : 0f;
    }
}
