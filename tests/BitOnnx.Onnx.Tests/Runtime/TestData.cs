namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>Seeded random inputs, so every run sees the same numbers.</summary>
internal static class TestData
{
    public static float[] Floats(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    public static sbyte[] Int8(int count, int seed, int min = -128, int max = 127)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (sbyte)random.Next(min, max + 1)).ToArray();
    }

    public static int[,] Ints(int rows, int cols, int seed, int maxExclusive)
    {
        var random = new Random(seed);
        var result = new int[rows, cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) result[r, c] = random.Next(maxExclusive);
        }

        return result;
    }

    public static float[,] PositiveFloats(int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var result = new float[rows, cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) result[r, c] = (float)(0.05 + random.NextDouble() * 0.2);
        }

        return result;
    }
}
