using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Running;

namespace BitOnnx.Benchmarks;

/// <summary>Floating-point operations per second of a benchmark, from its median time and a flop count per case.</summary>
public static class GflopsColumn
{
    public static IColumn Create(Func<BenchmarkCase, double> flopsOf, string formula) =>
        new DerivedColumn("GFLOP/s", $"{formula} / median time, in 10⁹ per second", (summary, c) =>
            DerivedColumn.MedianNanoseconds(summary, c) is double ns
                ? (flopsOf(c) / ns).ToString("F1", CultureInfo.InvariantCulture)
                : "-");
}
