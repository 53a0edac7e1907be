namespace BitOnnx.Torch.Tests;

[TestClass]
public static class TestSetup
{
    /// <summary>One libtorch thread: the tests run classes in parallel on a shared machine, and results do not depend on it.</summary>
    [AssemblyInitialize]
    public static void OneThread(TestContext _) => TorchRuntime.SetThreads(1);
}
