using System.Numerics.Tensors;

namespace BitOnnx.Core.Layers;

/// <summary>
/// Li (2024)'s RMSNorm before the unembed: y = x / max(‖x‖₂, ε) · g · sqrt(dModel), ε = 1e-12 (torch's F.normalize).
/// Buffers: x, y [rows, dModel]; inverseNorm [rows]; g [dModel].
/// </summary>
public static class FinalNorm
{
    public const float Epsilon = 1e-12f;

    public static void Forward(int rows, int dModel, ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> y, Span<float> inverseNorm)
    {
        var gain = MathF.Sqrt(dModel);
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * dModel, dModel);
            inverseNorm[r] = 1f / MathF.Max(TensorPrimitives.Norm(row), Epsilon);
            var output = y.Slice(r * dModel, dModel);
            TensorPrimitives.Multiply(row, inverseNorm[r] * gain, output);
            TensorPrimitives.Multiply(output, g, output);
        }
    }

    /// <summary>
    /// Writes dX and adds into dG. With u = x·inverseNorm: dG += Σ dy ⊙ u · s, and for ‖x‖ &gt; ε
    /// dx = inverseNorm · (du − u (u·du)) with du = dy ⊙ g · s; below ε the norm is the constant ε and dx = du · inverseNorm.
    /// Rows are visited in order so dG is the same for any thread count.
    /// </summary>
    public static void Backward(int rows, int dModel, ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> inverseNorm,
        ReadOnlySpan<float> dY, Span<float> dX, Span<float> dG)
    {
        var gain = MathF.Sqrt(dModel);
        Span<float> unit = stackalloc float[dModel];
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Multiply(x.Slice(r * dModel, dModel), inverseNorm[r], unit);
            var gradOut = dY.Slice(r * dModel, dModel);
            var gradIn = dX.Slice(r * dModel, dModel);
            for (var i = 0; i < dModel; i++) dG[i] += gradOut[i] * unit[i] * gain;
            TensorPrimitives.Multiply(gradOut, g, gradIn);
            TensorPrimitives.Multiply(gradIn, gain, gradIn);
            if (1f / inverseNorm[r] > Epsilon)
            {
                var along = TensorPrimitives.Dot(unit, gradIn);
                TensorPrimitives.MultiplyAdd(unit, -along, gradIn, gradIn);
            }
            TensorPrimitives.Multiply(gradIn, inverseNorm[r], gradIn);
        }
    }
}
