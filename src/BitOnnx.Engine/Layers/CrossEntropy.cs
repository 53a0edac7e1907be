using System.Numerics.Tensors;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Layers;

/// <summary>Loss and accuracy of one batch; the loss is the mean over rows, accumulated in double.</summary>
public readonly record struct LossResult(double Loss, double Accuracy);

/// <summary>
/// Mean cross-entropy of the last-position logits with the log-softmax in double, as both papers compute it.
/// Buffers: logits, dLogits [rows, classes]; targets [rows]; rowLoss [rows], rowCorrect [rows] (scratch, so that the
/// mean is summed in row order whatever the thread count). An empty dLogits skips the gradient.
/// Width independence: Max and IndexOfMax are exact; TensorPrimitives' double Exp evaluates the same polynomial in each
/// lane at any width (2.26 million values, among them every length 1..113, agree bit for bit with and without AVX-512);
/// its Sum does not (the lanes follow the width), so the row sum is <see cref="SmallVectors.Sum"/>.
/// </summary>
public static class CrossEntropy
{
    public static LossResult Forward(int rows, int classes, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets,
        Span<double> rowLoss, Span<bool> rowCorrect, Span<float> dLogits, int threads)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.CrossEntropy);
        var computeGradient = !dLogits.IsEmpty;
        unsafe
        {
            fixed (float* pl = logits, pd = dLogits)
            fixed (int* pt = targets)
            fixed (double* pr = rowLoss)
            fixed (bool* pc = rowCorrect)
            {
                nint l0 = (nint)pl, d0 = (nint)pd, t0 = (nint)pt, r0 = (nint)pr, c0 = (nint)pc;
                ParallelRows.For(rows, threads, (start, end) =>
                {
                    var shifted = new double[classes];
                    for (var r = start; r < end; r++)
                    {
                        var row = new ReadOnlySpan<float>((float*)l0 + (long)r * classes, classes);
                        var target = ((int*)t0)[r];
                        var max = (double)TensorPrimitives.Max(row);
                        for (var c = 0; c < classes; c++) shifted[c] = row[c] - max;
                        var correctShifted = shifted[target];
                        TensorPrimitives.Exp(shifted, shifted);
                        var sum = SmallVectors.Sum(shifted);
                        ((double*)r0)[r] = Math.Log(sum) - correctShifted;
                        ((bool*)c0)[r] = TensorPrimitives.IndexOfMax(row) == target;
                        if (!computeGradient) continue;
                        var grad = new Span<float>((float*)d0 + (long)r * classes, classes);
                        var normalizer = 1.0 / (sum * rows);
                        for (var c = 0; c < classes; c++)
                        {
                            // Once a model has grokked, wrong-class probabilities fall below float's normal range. Those
                            // subnormal gradients are 1e-38 of the step and cannot move a float32 weight, but every
                            // multiply-add that touches one takes a slow microcode path: flush them to zero, as FTZ would.
                            var value = (float)(shifted[c] * normalizer);
                            grad[c] = float.IsSubnormal(value) ? 0f : value;
                        }
                        grad[target] -= 1f / rows;
                    }
                });
            }
        }
        double total = 0;
        var hits = 0;
        for (var r = 0; r < rows; r++)
        {
            total += rowLoss[r];
            if (rowCorrect[r]) hits++;
        }
        return new LossResult(total / rows, (double)hits / rows);
    }
}
