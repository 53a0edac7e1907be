using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Sweep;

namespace BitOnnx.Pipelines.Tests.Sweep;

/// <summary>The options of `bitonnx sweep`: which mode they ask for, where the index comes from, and what bad ones say.</summary>
[TestClass]
public sealed class SweepArgumentsTests
{
    private static readonly string[] ThisCli = ["/usr/bin/dotnet", "/opt/bitonnx.dll"];

    private static SweepRequest Build(string line, params (string Name, string Value)[] environment) =>
        SweepArguments.Build("spec.json", ArgumentLine.Parse(line, SweepArguments.Options, SweepArguments.Command),
            name => environment.FirstOrDefault(e => e.Name == name).Value, ThisCli);

    [TestMethod]
    public void EachModeAndItsSettings()
    {
        Assert.AreEqual((SweepMode.Index, 3), (Build("-o out --index 3").Mode, Build("-o out --index 3").Index));
        Assert.AreEqual((SweepMode.Jobs, 2), (Build("-o out --jobs 2").Mode, Build("-o out --jobs 2").Jobs));
        Assert.AreEqual(SweepMode.Collect, Build("-o out --collect").Mode);
        var slurm = Build("-o out --emit slurm --parallelism 4");
        Assert.AreEqual((SweepMode.Emit, "slurm", 4), (slurm.Mode, slurm.Emit, slurm.EmitSettings.Parallelism));
        CollectionAssert.AreEqual(ThisCli, slurm.EmitSettings.Cli.ToArray(), "Slurm runs this bitonnx by default");
        var k8s = Build("-o out --emit k8s --image reg/b:1 --claim data --cli dotnet-bitonnx");
        Assert.AreEqual(("reg/b:1", "data"), (k8s.EmitSettings.Image, k8s.EmitSettings.Claim));
        CollectionAssert.AreEqual(new[] { "dotnet-bitonnx" }, k8s.EmitSettings.Cli.ToArray());
        CollectionAssert.AreEqual(new[] { "bitonnx" }, Build("-o out --emit k8s").EmitSettings.Cli.ToArray(), "the image's bitonnx by default");
        Assert.AreEqual(EmitSettings.DefaultImage, Build("-o out --emit k8s").EmitSettings.Image);
    }

    /// <summary>Without --index, an array task's index comes from its scheduler; --index wins over it.</summary>
    [TestMethod]
    public void TheIndexComesFromTheSchedulerWhenNotGiven()
    {
        Assert.AreEqual(5, Build("-o out", ("SLURM_ARRAY_TASK_ID", "5")).Index);
        Assert.AreEqual(7, Build("-o out", ("JOB_COMPLETION_INDEX", "7")).Index);
        Assert.AreEqual(1, Build("-o out --index 1", ("SLURM_ARRAY_TASK_ID", "5")).Index);
        Assert.AreEqual(SweepMode.Collect, Build("-o out --collect", ("SLURM_ARRAY_TASK_ID", "5")).Mode);
        Assert.AreEqual("$SLURM_ARRAY_TASK_ID 'x1' is not a whole number; the cell index is a whole number, 0 or more.",
            Assert.ThrowsException<UsageException>(() => Build("-o out", ("SLURM_ARRAY_TASK_ID", "x1"))).Message);
        StringAssert.StartsWith(Assert.ThrowsException<UsageException>(() => Build("-o out")).Message, "Say which cells to run: --index I (one cell here), --jobs N");
    }

    [TestMethod]
    [DataRow("-o out --index 1 --jobs 2", "--index and --jobs contradict each other; give one of --index, --jobs, --emit and --collect.")]
    [DataRow("--jobs 2", "--out is missing; name the sweep's folder, as in --out runs/sweep.")]
    [DataRow("-o out --jobs 2 --image x", "--image is for --emit; give it with --emit slurm or --emit k8s.")]
    [DataRow("-o out --emit slurm --claim x", "--claim is for --emit k8s; a Slurm task runs on the cluster's own file system.")]
    public void OptionsThatDoNotGoTogetherAreRefused(string line, string message) =>
        Assert.AreEqual(message, Assert.ThrowsException<UsageException>(() => Build(line)).Message);

    /// <summary>One bad value per option of the table, each one sentence naming the option, the value and what is allowed.</summary>
    [TestMethod]
    public void EveryOptionRefusesABadValueInOneSentence()
    {
        var bad = new Dictionary<string, string>
        {
            ["--out"] = "",
            ["--index"] = "-1",
            ["--jobs"] = "0",
            ["--emit"] = "pbs",
            ["--collect"] = "now",
            ["--parallelism"] = "two",
            ["--cli"] = "",
            ["--image"] = "",
            ["--claim"] = "",
        };
        CollectionAssert.AreEquivalent(SweepArguments.Options.Select(o => o.Name).ToList(), bad.Keys.ToList());
        foreach (var option in SweepArguments.Options)
        {
            var e = Assert.ThrowsException<UsageException>(() => option.Check(bad[option.Name]), option.Name);
            StringAssert.StartsWith(e.Message, option.Name);
            StringAssert.Contains(e.Message, $"'{bad[option.Name]}'");
            StringAssert.Contains(e.Message, option.Allowed);
        }
    }
}
