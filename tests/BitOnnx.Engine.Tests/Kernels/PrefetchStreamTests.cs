using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>The order in which kernel calls are handed stretches to prefetch (the products' values cannot show it).</summary>
[TestClass]
public sealed unsafe class PrefetchStreamTests
{
    [TestMethod]
    public void TakeWalksTheNextStretchThenTheLaterOneThenFallsBackToWhatTheCallReads()
    {
        float* next = (float*)0x10000, later = (float*)0x80000, own = (float*)0x4000;
        const int Kc = 16;
        int perCall = Kc * PrefetchStream.FloatsPerStep;
        var stream = default(PrefetchStream);
        Assert.IsTrue(stream.Take(Kc, own) == own, "nothing set: the call's own memory");

        stream.SetNext(next, (2 * perCall) + 1);
        stream.SetLater(later, perCall);
        Assert.IsTrue(stream.Take(Kc, own) == next);
        Assert.IsTrue(stream.Take(Kc, own) == next + perCall);
        Assert.IsTrue(stream.Take(Kc, own) == next + (2 * perCall), "a partly used call's worth still starts a call");
        Assert.IsTrue(stream.Take(Kc, own) == later);
        Assert.IsTrue(stream.Take(Kc, own) == own);

        stream.SetNext(next, -5);
        Assert.IsTrue(stream.Take(Kc, own) == own, "an empty or negative stretch is skipped");
    }
}
