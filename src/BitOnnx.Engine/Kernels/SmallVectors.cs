using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Dot products and axpys on short vectors (one attention head, 32 floats by default), where a library call's
/// fixed cost outweighs the arithmetic. <see cref="SmallVectorsReference"/> is the scalar twin.
/// </summary>
public static unsafe class SmallVectors
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        var i = 0;
        var sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>y += alpha · x.</summary>
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

public static unsafe class SmallVectorsReference
{
    public static float Dot(float* a, float* b, int n)
    {
        var sum = 0f;
        for (var i = 0; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    public static void Axpy(float* y, float* x, float alpha, int n)
    {
        for (var i = 0; i < n; i++) y[i] += alpha * x[i];
    }
}
