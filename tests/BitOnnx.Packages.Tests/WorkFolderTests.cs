namespace BitOnnx.Packages.Tests;

/// <summary>Deletes the shared work folder after the run, unless a test failed (then it stays, for a look).</summary>
[TestClass]
public abstract class WorkFolderTests
{
    private static bool _failed;

    public TestContext TestContext { get; set; } = null!;

    [TestCleanup]
    public void RecordOutcome()
    {
        if (TestContext.CurrentTestOutcome != UnitTestOutcome.Passed) _failed = true;
    }

    [AssemblyCleanup]
    public static void DeleteWork()
    {
        if (_failed) Console.WriteLine("A package test failed; its work folder is kept under " + Path.GetTempPath());
        else PackedLibraries.DeleteWorkIfPacked();
    }
}
