namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>Comparisons of a hook's values: to the bit, or against the double reference within a stated bound.</summary>
public static class HookAssert
{
    public static void BitEqual(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R} to the bit");
    }

    /// <summary>The largest |actual − expected| over the hook, relative to max(1, the hook's largest |expected|).</summary>
    public static double RelativeError(double[] expected, float[] actual)
    {
        Assert.AreEqual(expected.Length, actual.Length, "length");
        double scale = 1, error = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (double.IsNegativeInfinity(expected[i]))
            {
                Assert.AreEqual(float.NegativeInfinity, actual[i], "a masked score is −∞");
                continue;
            }
            scale = Math.Max(scale, Math.Abs(expected[i]));
            error = Math.Max(error, Math.Abs(actual[i] - expected[i]));
        }
        return error / scale;
    }

    /// <summary>Every element within <paramref name="relative"/> of max(1, the hook's largest |expected|).</summary>
    public static void Close(double[] expected, float[] actual, double relative, string what)
    {
        var error = RelativeError(expected, actual);
        Assert.IsTrue(error <= relative, $"{what}: relative error {error:G3} above {relative:G3}");
    }
}
