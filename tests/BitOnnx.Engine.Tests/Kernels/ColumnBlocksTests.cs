using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Tests.Kernels;

[TestClass]
public sealed class ColumnBlocksTests
{
    [TestMethod]
    public void JoinPlacesPartPAtColumnsPTimesWidthAndSplitUndoesIt()
    {
        const int rows = 5, width = 3;
        var parts = Enumerable.Range(0, 3).Select(p => Enumerable.Range(0, rows * width).Select(i => (float)((100 * p) + i)).ToArray()).ToArray();
        var joined = new float[rows * 3 * width];
        ColumnBlocks.Join(parts, rows, width, joined);
        for (var r = 0; r < rows; r++)
            for (var p = 0; p < 3; p++)
                for (var j = 0; j < width; j++)
                    Assert.AreEqual((100 * p) + (r * width) + j, joined[(r * 3 * width) + (p * width) + j], $"row {r}, part {p}, column {j}");

        var back = parts.Select(p => new float[p.Length]).ToArray();
        ColumnBlocks.Split(joined, rows, width, back);
        for (var p = 0; p < 3; p++) CollectionAssert.AreEqual(parts[p], back[p]);
    }

    [TestMethod]
    public void ShortBuffersAreRefused()
    {
        Assert.ThrowsException<ArgumentException>(() => ColumnBlocks.Join([new float[6], new float[5]], 2, 3, new float[12]));
        Assert.ThrowsException<ArgumentException>(() => ColumnBlocks.Split(new float[11], 2, 3, [new float[6], new float[6]]));
    }
}
