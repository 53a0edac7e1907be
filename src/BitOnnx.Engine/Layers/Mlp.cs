using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Layers;

/// <summary>
/// post = relu(x · W_in), out = post · W_out, no biases. Buffers: x, out [rows, dModel]; pre, post [rows, dMlp];
/// W_in [dModel, dMlp]; W_out [dMlp, dModel].
/// </summary>
public static class Mlp
{
    public static void Forward(int rows, int dModel, int dMlp, ReadOnlySpan<float> x, ReadOnlySpan<float> wIn, ReadOnlySpan<float> wOut,
        Span<float> pre, Span<float> post, Span<float> output, int threads)
    {
        Gemm.Multiply(x, wIn, pre, rows, dMlp, dModel, threads: threads);
        Relu.Forward(pre, post);
        Gemm.Multiply(post, wOut, output, rows, dModel, dMlp, threads: threads);
    }

    /// <summary>Adds into dX, dWIn and dWOut; <paramref name="dHidden"/> [rows, dMlp] is scratch.</summary>
    public static void Backward(int rows, int dModel, int dMlp, ReadOnlySpan<float> x, ReadOnlySpan<float> wIn, ReadOnlySpan<float> wOut,
        ReadOnlySpan<float> pre, ReadOnlySpan<float> post, ReadOnlySpan<float> dOutput,
        Span<float> dHidden, Span<float> dX, Span<float> dWIn, Span<float> dWOut, int threads)
    {
        Gemm.Multiply(post, dOutput, dWOut, dMlp, dModel, rows, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(dOutput, wOut, dHidden, rows, dMlp, dModel, transposeB: true, threads: threads);
        Relu.Backward(pre, dHidden, dHidden);
        Gemm.Multiply(x, dHidden, dWIn, dModel, dMlp, rows, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(dHidden, wIn, dX, rows, dModel, dMlp, transposeB: true, accumulate: true, threads: threads);
    }
}
