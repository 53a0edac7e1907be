using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Dot products, sums and axpys on short vectors (one attention head, one row of the residual stream or of the
/// logits), where a library call's fixed cost outweighs the arithmetic, in an order that does not depend on the vector
/// width. A float dot product always keeps 16 lanes (lane j takes elements j, j + 16, ...; one 512-bit register, or
/// two 256-bit halves without AVX-512), each a fused multiply-add chain; the lanes are then added as a fixed tree
/// (j + 8, then + 4, + 2, + 1) and the tail after the last whole 16 is added on, fused, in order. A double sum keeps 4
/// lanes the same way. So the same inputs give the same bits on AVX-512, AVX2 and (with FMA) scalar hardware;
/// <see cref="SmallVectorsReference"/> computes the same order one element at a time.
/// </summary>
public static unsafe class SmallVectors
{
    /// <summary>Lanes of the float dot product, on every machine.</summary>
    public const int DotLanes = 16;

    /// <summary>Lanes of the double sum, on every machine.</summary>
    public const int SumLanes = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        var i = 0;
        var sum = 0f;
        if (n >= DotLanes)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var acc = Vector512<float>.Zero;
                for (; i <= n - 16; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
                sum = Tree(acc.GetLower() + acc.GetUpper());
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> low = Vector256<float>.Zero, high = Vector256<float>.Zero;
                for (; i <= n - 16; i += 16)
                {
                    low = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), low);
                    high = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), high);
                }
                sum = Tree(low + high);
            }
            else
            {
                return SmallVectorsReference.Dot(a, b, n);
            }
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    /// <summary>Σ x in double: 4 lanes, the tree (j + 2, then + 1), then the tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(ReadOnlySpan<double> x)
    {
        if (!Vector256.IsHardwareAccelerated) return SmallVectorsReference.Sum(x);
        var i = 0;
        var sum = 0.0;
        if (x.Length >= SumLanes)
        {
            var acc = Vector256<double>.Zero;
            for (; i <= x.Length - SumLanes; i += SumLanes) acc += Vector256.Create(x.Slice(i, SumLanes));
            var half = acc.GetLower() + acc.GetUpper();
            sum = half.GetElement(0) + half.GetElement(1);
        }
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    /// <summary>Lanes j and j + 8 already added: then j + 4, j + 2, j + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tree(Vector256<float> eight)
    {
        var four = eight.GetLower() + eight.GetUpper();
        float s0 = four.GetElement(0) + four.GetElement(2), s1 = four.GetElement(1) + four.GetElement(3);
        return s0 + s1;
    }

    /// <summary>y += alpha · x, each element one fused multiply-add (so any width gives the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(float* y, float* x, float alpha, int n)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(alpha);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), s, Vector512.Load(y + i)).Store(y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(alpha);
            for (; i <= n - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), s, Vector256.Load(y + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(x[i], alpha, y[i]);
    }
}

/// <summary>The scalar twins of <see cref="SmallVectors"/>: the same lanes, tree and fused operations, one element at a time.</summary>
public static unsafe class SmallVectorsReference
{
    public static float Dot(float* a, float* b, int n)
    {
        var lanes = new float[SmallVectors.DotLanes];
        var i = 0;
        var sum = 0f;
        if (n >= SmallVectors.DotLanes)
        {
            for (; i <= n - SmallVectors.DotLanes; i += SmallVectors.DotLanes)
                for (var j = 0; j < SmallVectors.DotLanes; j++) lanes[j] = MathF.FusedMultiplyAdd(a[i + j], b[i + j], lanes[j]);
            sum = TreeSum(lanes);
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    public static double Sum(ReadOnlySpan<double> x)
    {
        var lanes = new double[SmallVectors.SumLanes];
        var i = 0;
        var sum = 0.0;
        if (x.Length >= SmallVectors.SumLanes)
        {
            for (; i <= x.Length - SmallVectors.SumLanes; i += SmallVectors.SumLanes)
                for (var j = 0; j < SmallVectors.SumLanes; j++) lanes[j] += x[i + j];
            sum = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
        }
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    /// <summary>Halves the lanes until one is left: lane j takes lane j + half.</summary>
    private static float TreeSum(float[] lanes)
    {
        for (var half = lanes.Length / 2; half >= 1; half /= 2)
            for (var j = 0; j < half; j++) lanes[j] += lanes[j + half];
        return lanes[0];
    }

    public static void Axpy(float* y, float* x, float alpha, int n)
    {
        for (var i = 0; i < n; i++) y[i] = MathF.FusedMultiplyAdd(x[i], alpha, y[i]);
    }
}
