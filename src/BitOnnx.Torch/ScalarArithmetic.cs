using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch;

/// <summary>
/// Tensor arithmetic with numbers whose TorchSharp Scalar lives until libtorch has read it. TorchSharp 0.107 turns a
/// number into a Scalar implicitly (and <c>a + b</c> into <c>a.add(b, 1)</c>) and leaves that Scalar to its finalizer:
/// once the native call has its handle nothing refers to the Scalar, so a collection started by another thread during
/// the call can free it while libtorch reads it ("Expected false to be true" from c10's Scalar::toDouble). Each method
/// here disposes its Scalar after the call, which keeps it alive through it; UnownedScalarTests keeps BitOnnx.Torch off
/// every TorchSharp call that makes a Scalar of its own. A tensor that nothing refers to after its handle is read (an
/// intermediate such as <c>x.abs()</c> in <c>x.abs().mean()</c>) is freed the same way, which is why every public method
/// of this project that computes with tensors does so inside a dispose scope, whose list refers to each of them.
/// </summary>
public static class ScalarArithmetic
{
    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b)
    {
        using var one = 1.ToScalar();
        return a.add(b, one);
    }

    public static Tensor Times(this Tensor a, float factor)
    {
        using var scalar = factor.ToScalar();
        return a.mul(scalar);
    }

    /// <summary>a · factor with the factor in double, which a float64 tensor keeps to the last bit.</summary>
    public static Tensor Times(this Tensor a, double factor)
    {
        using var scalar = factor.ToScalar();
        return a.mul(scalar);
    }

    /// <summary>a², as torch.square: TorchSharp's square() is pow(a, 2) with an implicit Scalar.</summary>
    public static Tensor Squared(this Tensor a)
    {
        using var two = 2.ToScalar();
        return a.pow(two);
    }

    public static Tensor AtLeast(this Tensor a, double min)
    {
        using var scalar = min.ToScalar();
        return a.clamp_min(scalar);
    }

    public static Tensor Clamped(this Tensor a, int min, int max)
    {
        using Scalar low = min.ToScalar(), high = max.ToScalar();
        return a.clamp(low, high);
    }

    /// <summary>a with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor Filled(this Tensor a, Tensor mask, float value)
    {
        using var scalar = value.ToScalar();
        return a.masked_fill(mask, scalar);
    }
}
