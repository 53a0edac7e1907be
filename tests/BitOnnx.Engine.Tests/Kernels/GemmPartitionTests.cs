using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>The split of C across threads: every element in exactly one part, and no more parts than asked.</summary>
[TestClass]
public sealed class GemmPartitionTests
{
    [TestMethod]
    [DataRow(3831, 512, 128)]
    [DataRow(3831, 113, 128)]
    [DataRow(128, 512, 3831)]
    [DataRow(512, 128, 3831)]
    [DataRow(128, 113, 3831)]
    [DataRow(13, 1000, 5000)]
    [DataRow(1, 1, 1)]
    [DataRow(17, 33, 2)]
    public void BandsCoverEveryElementOnce(int m, int n, int k)
    {
        foreach (int threads in new[] { 1, 2, 3, 5, 16 })
        {
            var plan = GemmPartition.Plan(new GemmShape(m, n, k, false, false, false), 12, 32, threads);
            Assert.IsTrue(plan.Parts >= 1 && plan.Parts <= threads, $"{plan.Parts} parts for {threads} threads");
            if (plan.SharedRowBlock > 0)
            {
                // Parts claim row blocks from a counter instead of owning bands; blocks are whole kernel tiles.
                Assert.AreEqual(0, plan.SharedRowBlock % 12);
                Assert.AreEqual((0, m, 0, n), plan.Band(plan.Parts - 1));
                continue;
            }

            var owner = new int[m * n];
            for (int part = 0; part < plan.Parts; part++)
            {
                (int row0, int row1, int column0, int column1) = plan.Band(part);
                Assert.IsTrue(row1 > row0 && column1 > column0, $"part {part} of {plan.Parts} is empty");
                for (int i = row0; i < row1; i++)
                {
                    for (int j = column0; j < column1; j++)
                    {
                        owner[(i * n) + j]++;
                    }
                }
            }

            Assert.IsTrue(owner.All(count => count == 1), $"m={m} n={n} threads={threads}: an element is not owned once");
        }
    }

    [TestMethod]
    public void SmallProductsStayOnOneThread()
    {
        // 64·64·64 multiply-adds take a few microseconds: handing part of that to another thread costs more.
        Assert.AreEqual(1, GemmPartition.Plan(new GemmShape(64, 64, 64, false, false, false), 12, 32, 8).Parts);
    }

    [TestMethod]
    public void RowSplitsWithOneGroupOfBShareRowBlocks()
    {
        // k·n fits one packed group: parts claim blocks (about four per part), so a held-up thread does not stall the rest.
        var plan = GemmPartition.Plan(new GemmShape(3831, 128, 512, false, false, false), 12, 32, 2);
        Assert.IsTrue(plan.SplitRows && plan.SharedRowBlock > 0);
        Assert.AreEqual(8, (3831 + plan.SharedRowBlock - 1) / plan.SharedRowBlock);

        // k = 3831 needs several groups of B, whose order per block of C must hold: fixed bands then.
        var deep = GemmPartition.Plan(new GemmShape(1000, 100, 3831, false, false, false), 12, 32, 2);
        Assert.AreEqual(0, deep.SharedRowBlock);
    }

    [TestMethod]
    public void EngineShapesUseBothThreads()
    {
        foreach ((int m, int n, int k) in new[] { (3831, 512, 128), (128, 113, 3831), (512, 128, 3831), (3831, 113, 128) })
        {
            Assert.AreEqual(2, GemmPartition.Plan(new GemmShape(m, n, k, false, false, false), 12, 32, 2).Parts);
        }
    }
}
