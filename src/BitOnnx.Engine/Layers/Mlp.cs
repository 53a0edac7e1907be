using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Layers;

/// <summary>
/// post = relu(x · W_in), out = post · W_out, no biases. Buffers: x, out [rows, dModel]; pre, post [rows, dMlp];
/// W_in [dModel, dMlp]; W_out [dMlp, dModel].
/// </summary>
public static class Mlp
{
    /// <summary>Fills pre too unless it is empty; then the ReLU is applied as the product writes post.</summary>
    public static void Forward(int rows, int dModel, int dMlp, ReadOnlySpan<float> x, ReadOnlySpan<float> wIn, ReadOnlySpan<float> wOut,
        Span<float> pre, Span<float> post, Span<float> output, int threads)
    {
        if (pre.IsEmpty)
        {
            Gemm.MultiplyRelu(x, wIn, post, rows, dMlp, dModel, threads: threads);
        }
        else
        {
            Gemm.Multiply(x, wIn, pre, rows, dMlp, dModel, threads: threads);
            Relu.Forward(pre, post);
        }
        Gemm.Multiply(post, wOut, output, rows, dModel, dMlp, threads: threads);
    }

    /// <summary>
    /// Adds into dX, dWIn and dWOut; <paramref name="dHidden"/> [rows, dMlp] is scratch. The ReLU's mask is post &gt; 0,
    /// which is exactly pre &gt; 0. Each weight gradient runs beside the input gradient that needs the same operand.
    /// </summary>
    public static void Backward(int rows, int dModel, int dMlp, float[] x, float[] wIn, float[] wOut, float[] post, float[] dOutput,
        float[] dHidden, float[] dX, float[] dWIn, float[] dWOut, int threads)
    {
        Gemm.MultiplyTogether(
            new GemmCall(post, dOutput, dWOut, dMlp, dModel, rows) { TransposeA = true, Accumulate = true },
            new GemmCall(dOutput, wOut, dHidden, rows, dMlp, dModel) { TransposeB = true, Epilogue = EpilogueKind.KeepWherePositive, Mask = post },
            threads);
        Gemm.MultiplyTogether(
            new GemmCall(x, dHidden, dWIn, dModel, dMlp, rows) { TransposeA = true, Accumulate = true },
            new GemmCall(dHidden, wIn, dX, rows, dModel, dMlp) { TransposeB = true, Accumulate = true },
            threads);
    }
}
