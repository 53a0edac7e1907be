using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Sweep;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Tests.Sweep;

/// <summary>A spec read and checked up front, and its cells numbered in the stated order.</summary>
[TestClass]
public sealed class SweepPlanTests
{
    private static SweepPlan Plan(string json) => SweepPlan.Of(SweepSpec.Parse(json, "spec.json"));

    /// <summary>Axes in the spec's order, the last fastest, seeds innermost: the list written out by hand.</summary>
    [TestMethod]
    public void CellsAreNumberedWithTheLastAxisFastestAndTheSeedsInnermost()
    {
        var plan = Plan("""{"base": "--p 7", "grid": {"--quant": ["binary", "ternary"], "--lr": [1e-3, "1e-2", 0.1]}, "seeds": [5, 0]}""");
        string[] expected =
        [
            "--p 7 --quant binary --lr 1e-3 --seed 5", "--p 7 --quant binary --lr 1e-3 --seed 0",
            "--p 7 --quant binary --lr 1e-2 --seed 5", "--p 7 --quant binary --lr 1e-2 --seed 0",
            "--p 7 --quant binary --lr 0.1 --seed 5", "--p 7 --quant binary --lr 0.1 --seed 0",
            "--p 7 --quant ternary --lr 1e-3 --seed 5", "--p 7 --quant ternary --lr 1e-3 --seed 0",
            "--p 7 --quant ternary --lr 1e-2 --seed 5", "--p 7 --quant ternary --lr 1e-2 --seed 0",
            "--p 7 --quant ternary --lr 0.1 --seed 5", "--p 7 --quant ternary --lr 0.1 --seed 0",
        ];
        CollectionAssert.AreEqual(expected, plan.Cells.Select(c => c.Arguments).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, 12).ToArray(), plan.Cells.Select(c => c.Index).ToArray());
        Assert.AreEqual("--quant ternary --lr 1e-2", plan.Cells[9].PointArguments);
        Assert.AreEqual("--p 7 --quant ternary --lr 1e-2", plan.Cells[9].ArgumentsWithoutSeed);
        CollectionAssert.AreEqual(new[] { 1, 1 }, plan.Cells[9].Point.ToArray());
        Assert.AreEqual(0L, plan.Cells[9].Seed);
        Assert.AreEqual("0009", plan.CellName(9));
    }

    /// <summary>A named axis gives whole argument lines; a grid value replaces the base's value of that option.</summary>
    [TestMethod]
    public void NamedAxesGiveLinesAndGridValuesOverrideTheBase()
    {
        var plan = Plan("""
            {"base": "--p 113 --epochs 10000 --threads 1",
             "grid": {"model": ["--preset li2024 --quant binary", "--preset nanda2023 --epochs 25000"]},
             "seeds": [0]}
            """);
        CollectionAssert.AreEqual(new[]
        {
            "--p 113 --epochs 10000 --threads 1 --preset li2024 --quant binary --seed 0",
            "--p 113 --threads 1 --preset nanda2023 --epochs 25000 --seed 0",
        }, plan.Cells.Select(c => c.Arguments).ToArray());
        Assert.AreEqual(25_000, TrainArguments.Build(plan.Cells[1].Arguments + " --out x").Options.Epochs);
    }

    [TestMethod]
    public void WithoutAGridTheCellsAreTheSeeds()
    {
        var plan = Plan("""{"base": "--p 7", "seeds": [3, 1, 2]}""");
        CollectionAssert.AreEqual(new[] { "--p 7 --seed 3", "--p 7 --seed 1", "--p 7 --seed 2" }, plan.Cells.Select(c => c.Arguments).ToArray());
        Assert.AreEqual("", plan.Cells[0].PointArguments);
    }

    /// <summary>Every problem of the spec, in one sentence each, in one message; nothing is left for run time.</summary>
    [TestMethod]
    public void EveryProblemOfASpecIsSaidAtOnce()
    {
        var e = Assert.ThrowsException<UsageException>(() => SweepSpec.Parse("""
            {"base": "--p 7 --seed 3 --out x", "grid": {"--lr": ["1e-3", "abc", "1e-3"], "--resume": ["a"], "--bogus": [1], "x y": ["--p 9"], "--quant": []},
             "seeds": [0, -1, 0], "name": "sweep"}
            """, "spec.json"));
        Assert.AreEqual("The sweep spec 'spec.json': \"name\" is not a key of a sweep spec (its keys: base, grid, seeds). " +
            "\"base\" gives --seed; the sweep sets it per cell from \"seeds\". " +
            "\"base\" gives --out; the sweep sets it per cell (each cell's run folder is OUT/cells/NNNN, resumed when it has a state). " +
            "grid axis \"--lr\" lists '1e-3' twice; each value once. " +
            "grid axis \"--lr\": --lr 'abc' is not a number; the learning rate is a positive number, such as 1e-3. " +
            "grid axis \"--resume\" gives --resume; the sweep sets it per cell (each cell's run folder is OUT/cells/NNNN, resumed when it has a state). " +
            "grid axis \"--bogus\" is not an option of bitonnx train; see `bitonnx train --help`. " +
            "grid axis \"x y\" is neither an option (--name) nor a name of letters, digits, '-' and '_' for a named axis. " +
            "grid axis \"--quant\" must be a non-empty array of values. " +
            "\"seeds\" holds -1; the seed is a whole number, 0 or more. \"seeds\" lists 0 twice; each seed once.", e.Message);
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    /// <summary>Values that are each fine but not together in a cell: found by the train table before any cell runs.</summary>
    [TestMethod]
    public void CellsThatCannotRunAreNamedBeforeAnyRuns()
    {
        var e = Assert.ThrowsException<UsageException>(() => Plan("""{"base": "--d-model 8", "grid": {"--n-heads": [2, 3]}, "seeds": [0, 1]}"""));
        Assert.AreEqual("The sweep's cells cannot all run: cell 2 (--d-model 8 --n-heads 3 --seed 0): Invalid model config: n_heads (3) must divide d_model (8).", e.Message);
        var both = Assert.ThrowsException<UsageException>(() => Plan("""{"grid": {"a": ["--lr 1e-2"], "b": ["--lr 1e-3"]}, "seeds": [0]}"""));
        StringAssert.Contains(both.Message, "grid axes \"a\" and \"b\" both give --lr; give each option in one axis.");
    }

    [TestMethod]
    [DataRow("[1, 2]", "The sweep spec 'spec.json' is not a JSON object")]
    [DataRow("{\"seeds\": [0]", "The sweep spec 'spec.json' is not valid JSON")]
    [DataRow("{\"base\": 3, \"seeds\": []}", "\"base\" must be a string of train arguments")]
    public void MalformedSpecsSayWhatIsWrong(string json, string message)
    {
        StringAssert.Contains(Assert.ThrowsException<UsageException>(() => SweepSpec.Parse(json, "spec.json")).Message, message);
    }

    /// <summary>sweep.json: one form per spec, read back as the same spec (its cells the same cells).</summary>
    [TestMethod]
    public void TheCanonicalFormReadsBackAsTheSameSpec()
    {
        var spec = SweepSpec.Parse("""{"seeds": [1, 0], "grid": {"--lr": [1e-3, "0.01"], "m": ["--quant binary"]}, "base": "--p 7"}""", "a");
        var again = SweepSpec.Parse(spec.ToJson(), "b");
        Assert.AreEqual(spec.ToJson(), again.ToJson());
        CollectionAssert.AreEqual(SweepPlan.Of(spec).Cells.Select(c => c.Arguments).ToArray(), SweepPlan.Of(again).Cells.Select(c => c.Arguments).ToArray());
    }
}
