using System.Globalization;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// One cell of a sweep: a grid point and a seed, and the train options they make (the base's, the point's, --seed).
/// <see cref="Point"/> holds each axis's value index, in the spec's axis order.
/// </summary>
public sealed record SweepCell(int Index, IReadOnlyList<int> Point, long Seed, IReadOnlyList<GivenOption> Options, string PointArguments)
{
    /// <summary>The cell's train arguments, --seed included, --out left to the sweep: "--p 31 --quant binary --seed 0".</summary>
    public string Arguments => ArgumentLine.Format(Options);

    /// <summary>The arguments without --seed: what the cells of one grid point share.</summary>
    public string ArgumentsWithoutSeed => ArgumentLine.Format(Options.Where(o => o.Option.Name != TrainArguments.Seed.Name));

    /// <summary>Whether the cell trains an arithmetic task (--task add5) rather than modular addition.</summary>
    public bool IsArithmetic => TrainTasks.IsArithmetic(Options);
}

/// <summary>
/// A spec's cells, numbered: the grid's axes in the spec's order with the last varying fastest, and the seeds innermost,
/// so cell i is point i / seeds, seed i % seeds. A grid value overrides the same option in the base; two axes may not
/// set one option. Every cell's arguments are built as `bitonnx train` builds them (<see cref="SweepCellRequest"/>)
/// before any cell runs: a spec that cannot run all of its cells runs none of them.
/// </summary>
public sealed class SweepPlan
{
    private SweepPlan(SweepSpec spec, IReadOnlyList<SweepCell> cells)
    {
        Spec = spec;
        Cells = cells;
    }

    public SweepSpec Spec { get; }
    public IReadOnlyList<SweepCell> Cells { get; }

    /// <summary>The folder name of cell <paramref name="index"/>: four digits, more when there are more cells.</summary>
    public string CellName(int index) =>
        index.ToString(new string('0', Math.Max(4, (Cells.Count - 1).ToString(CultureInfo.InvariantCulture).Length)), CultureInfo.InvariantCulture);

    public static SweepPlan Of(SweepSpec spec)
    {
        var options = TrainTasks.Options;
        var seedOption = options.First(o => o.Name == TrainArguments.Seed.Name);
        var baseOptions = ArgumentLine.Parse(spec.Base, options, TrainArguments.Command);
        var axisOptions = spec.Grid.Select(axis => axis.Values.Select((_, v) => ArgumentLine.Parse(axis.Arguments(v), options, TrainArguments.Command)).ToList()).ToList();
        var points = Points(spec.Grid.Select(a => a.Values.Count).ToList());
        var cells = new List<SweepCell>();
        var problems = new List<(int Cell, string Arguments, string Problem)>();
        foreach (var point in points)
        {
            foreach (var seed in spec.Seeds)
            {
                var index = cells.Count;
                var (given, conflicts) = Merge(spec, baseOptions, axisOptions, point);
                given.Add(new GivenOption(seedOption, seed.ToString(CultureInfo.InvariantCulture)));
                var pointArguments = string.Join(" ", point.Select((v, a) => spec.Grid[a].Arguments(v)));
                var cell = new SweepCell(index, point, seed, given, pointArguments);
                cells.Add(cell);
                foreach (var conflict in conflicts) problems.Add((index, cell.Arguments, conflict));
                if (conflicts.Count > 0) continue;
                try
                {
                    SweepCellRequest.Check(cell, "OUT");
                }
                catch (UsageException e)
                {
                    problems.Add((index, cell.Arguments, e.Message));
                }
            }
        }
        if (cells.Select(c => c.IsArithmetic).Distinct().Count() > 1)
            problems.Add((0, cells[0].Arguments, "a sweep trains one kind of task: give --task in \"base\", not in the grid, so that every cell is modular addition or every cell arithmetic."));
        if (problems.Count > 0)
        {
            // A problem of many cells (a bad base) is said once, at its first cell.
            var distinct = problems.GroupBy(p => p.Problem).Select(g => g.First());
            throw new UsageException("The sweep's cells cannot all run: " +
                string.Join(" ", distinct.Select(p => $"cell {p.Cell} ({p.Arguments}): {p.Problem}")));
        }
        return new SweepPlan(spec, cells);
    }

    /// <summary>Every combination of one value per axis; the last axis varies fastest. No axes: one empty point.</summary>
    private static List<int[]> Points(IReadOnlyList<int> sizes)
    {
        var points = new List<int[]> { Array.Empty<int>() };
        foreach (var size in sizes)
            points = points.SelectMany(p => Enumerable.Range(0, size).Select(v => (int[])[.. p, v])).ToList();
        return points;
    }

    /// <summary>The base's options, those a grid value gives replaced by it, then the grid's in axis order.</summary>
    private static (List<GivenOption> Given, List<string> Conflicts) Merge(SweepSpec spec, IReadOnlyList<GivenOption> baseOptions,
        List<List<IReadOnlyList<GivenOption>>> axisOptions, int[] point)
    {
        var fromGrid = new List<(string Axis, GivenOption Given)>();
        var conflicts = new List<string>();
        for (var a = 0; a < point.Length; a++)
        {
            foreach (var given in axisOptions[a][point[a]])
            {
                if (fromGrid.FirstOrDefault(g => g.Given.Option == given.Option) is { Axis: { } other })
                    conflicts.Add($"grid axes \"{other}\" and \"{spec.Grid[a].Key}\" both give {given.Option.Name}; give each option in one axis.");
                fromGrid.Add((spec.Grid[a].Key, given));
            }
        }
        var merged = baseOptions.Where(b => fromGrid.All(g => g.Given.Option != b.Option)).Concat(fromGrid.Select(g => g.Given)).ToList();
        return (merged, conflicts);
    }
}
