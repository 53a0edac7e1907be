using System.Numerics.Tensors;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Layers;

/// <summary>
/// Li (2024)'s RMSNorm before the unembed: y = x / max(‖x‖₂, ε) · g · sqrt(dModel), ε = 1e-12 (torch's F.normalize).
/// Buffers: x, y [rows, dModel]; inverseNorm [rows]; g [dModel].
/// The norm and the projection use <see cref="SmallVectors"/>' width-independent dot product (TensorPrimitives' Norm
/// and Dot add in an order that follows the vector width), the rest is elementwise: the same bits on every x86-64.
/// </summary>
public static class FinalNorm
{
    public const float Epsilon = 1e-12f;

    /// <summary>Rows per partial sum of dG: fixed, so the sum's order does not depend on the thread count.</summary>
    private const int GainChunk = 256;

    public static void Forward(int rows, int dModel, ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> y, Span<float> inverseNorm, int threads = 1)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.FinalNorm);
        unsafe
        {
            fixed (float* px = x, pg = g, py = y, pn = inverseNorm)
            {
                nint x0 = (nint)px, g0 = (nint)pg, y0 = (nint)py, n0 = (nint)pn;
                ParallelRows.For(rows, threads, (start, end) =>
                {
                    var gain = MathF.Sqrt(dModel);
                    var weight = new ReadOnlySpan<float>((float*)g0, dModel);
                    for (var r = start; r < end; r++)
                    {
                        var row = new ReadOnlySpan<float>((float*)x0 + (long)r * dModel, dModel);
                        var inverse = 1f / MathF.Max(MathF.Sqrt(SmallVectors.Dot((float*)x0 + (long)r * dModel, (float*)x0 + (long)r * dModel, dModel)), Epsilon);
                        ((float*)n0)[r] = inverse;
                        var output = new Span<float>((float*)y0 + (long)r * dModel, dModel);
                        TensorPrimitives.Multiply(row, inverse * gain, output);
                        TensorPrimitives.Multiply(output, weight, output);
                    }
                });
            }
        }
    }

    /// <summary>
    /// Writes dX and adds into dG. With u = x·inverseNorm: dG += Σ dy ⊙ u · s, and for ‖x‖ &gt; ε
    /// dx = inverseNorm · (du − u (u·du)) with du = dy ⊙ g · s; below ε the norm is the constant ε and dx = du · inverseNorm.
    /// dG is summed per fixed chunk of rows, then the chunks in order, so it is the same for any thread count.
    /// </summary>
    public static void Backward(int rows, int dModel, ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> inverseNorm,
        ReadOnlySpan<float> dY, Span<float> dX, Span<float> dG, int threads = 1)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.FinalNorm);
        var chunks = (rows + GainChunk - 1) / GainChunk;
        var partial = new float[chunks * dModel];
        unsafe
        {
            fixed (float* px = x, pg = g, pn = inverseNorm, pdy = dY, pdx = dX)
            {
                nint x0 = (nint)px, g0 = (nint)pg, n0 = (nint)pn, dy0 = (nint)pdy, dx0 = (nint)pdx;
                ParallelRows.For(chunks, threads, (first, last) =>
                {
                    var gain = MathF.Sqrt(dModel);
                    var weight = new ReadOnlySpan<float>((float*)g0, dModel);
                    var unit = new float[dModel];
                    for (var chunk = first; chunk < last; chunk++)
                    {
                        var gainGradient = partial.AsSpan(chunk * dModel, dModel);
                        for (var r = chunk * GainChunk; r < Math.Min(rows, (chunk + 1) * GainChunk); r++)
                        {
                            var inverse = ((float*)n0)[r];
                            TensorPrimitives.Multiply(new ReadOnlySpan<float>((float*)x0 + (long)r * dModel, dModel), inverse, unit);
                            var gradOut = new ReadOnlySpan<float>((float*)dy0 + (long)r * dModel, dModel);
                            var gradIn = new Span<float>((float*)dx0 + (long)r * dModel, dModel);
                            for (var i = 0; i < dModel; i++) gainGradient[i] += gradOut[i] * unit[i] * gain;
                            TensorPrimitives.Multiply(gradOut, weight, gradIn);
                            TensorPrimitives.Multiply(gradIn, gain, gradIn);
                            if (1f / inverse > Epsilon)
                            {
                                fixed (float* unitRow = unit)
                                {
                                    var gradRow = (float*)dx0 + (long)r * dModel;
                                    SmallVectors.Axpy(gradRow, unitRow, -SmallVectors.Dot(unitRow, gradRow, dModel), dModel);
                                }
                            }
                            TensorPrimitives.Multiply(gradIn, inverse, gradIn);
                        }
                    }
                }, minRowsPerWorker: 1);
            }
        }
        for (var chunk = 0; chunk < chunks; chunk++) TensorPrimitives.Add(dG, partial.AsSpan(chunk * dModel, dModel), dG);
    }
}
