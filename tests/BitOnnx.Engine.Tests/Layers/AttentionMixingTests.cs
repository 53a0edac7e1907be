using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Tests.Layers;

/// <summary>
/// Keys and values read from tables through row indices (block 0) against the same rows copied out first: the same
/// bits forward and backward, for both context layouts the engine uses.
/// </summary>
[TestClass]
public sealed class AttentionMixingTests
{
    [TestMethod]
    [DataRow(3, true)]
    [DataRow(1, false)]
    public void TableRowsGiveTheBitsOfGatheredRows(int queryPositions, bool causal)
    {
        const int batch = 37, positions = 3, heads = 4, dHead = 32, tableRows = 20, width = heads * dHead;
        var d = new AttentionDims(batch, queryPositions, positions, heads, dHead, positions - queryPositions);
        var random = new Random(7);
        float[] Uniform(int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var keyTable = Uniform(tableRows * width);
        var valueTable = Uniform(tableRows * width);
        var rows = Enumerable.Range(0, batch * positions).Select(_ => random.Next(tableRows)).ToArray();
        var keys = new float[batch * positions * width];
        var values = new float[keys.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            keyTable.AsSpan(rows[i] * width, width).CopyTo(keys.AsSpan(i * width, width));
            valueTable.AsSpan(rows[i] * width, width).CopyTo(values.AsSpan(i * width, width));
        }
        var q = Uniform(batch * queryPositions * width);
        var dz = Uniform(q.Length);
        const float scale = 0.17677669f;

        var (zGathered, patternGathered) = Forward(d, causal, q, keys, values, []);
        var (zTables, patternTables) = Forward(d, causal, q, keyTable, valueTable, rows);
        AssertBits(zGathered, zTables, "z");
        AssertBits(patternGathered, patternTables, "pattern");

        foreach (var threads in new[] { 1, 2 })
        {
            var gathered = Backward(d, scale, q, keys, values, patternGathered, dz, [], threads);
            var tables = Backward(d, scale, q, keyTable, valueTable, patternTables, dz, rows, threads);
            AssertBits(gathered.Dq, tables.Dq, "dq");
            AssertBits(gathered.Dk, tables.Dk, "dk");
            AssertBits(gathered.Dv, tables.Dv, "dv");
        }
    }

    [TestMethod]
    public void RowsOfTheWrongCountAreRefused()
    {
        var d = new AttentionDims(2, 1, 3, 1, 4, 2);
        var error = Assert.ThrowsException<ArgumentException>(() => AttentionMixing.Forward(d, 1f, false, new float[8], new float[20],
            new float[20], new float[6], new float[6], new float[8], 1, new int[5]));
        StringAssert.Contains(error.Message, "6");
    }

    private static (float[] Z, float[] Pattern) Forward(AttentionDims d, bool causal, float[] q, float[] k, float[] v, int[] rows)
    {
        var scores = new float[d.Batch * d.Heads * d.QueryPositions * d.Positions];
        var pattern = new float[scores.Length];
        var z = new float[q.Length];
        AttentionMixing.Forward(d, 0.17677669f, causal, q, k, v, scores, pattern, z, threads: 2, rows);
        return (z, pattern);
    }

    private static (float[] Dq, float[] Dk, float[] Dv) Backward(AttentionDims d, float scale, float[] q, float[] k, float[] v,
        float[] pattern, float[] dz, int[] rows, int threads)
    {
        var dq = new float[q.Length];
        var dk = new float[d.Batch * d.Positions * d.Width];
        var dv = new float[dk.Length];
        AttentionMixing.Backward(d, scale, q, k, v, pattern, dz, dq, dk, dv, threads, rows);
        return (dq, dk, dv);
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (var i = 0; i < expected.Length; i++)
            Assert.AreEqual(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(actual[i]), $"{what}[{i}]");
    }
}
