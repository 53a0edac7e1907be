using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BitOnnx.Benchmarks;

/// <summary>
/// A number the summary table shows beside BenchmarkDotNet's own, computed from the summary (GFLOP/s, pairs per
/// second, a share of the FMA peak): the one IColumn implementation the benchmarks share.
/// </summary>
public sealed class DerivedColumn(string columnName, string legend, Func<Summary, BenchmarkCase, string> value, int priority = 0)
    : IColumn
{
    public string Id => $"{nameof(DerivedColumn)}.{columnName}";

    public string ColumnName => columnName;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => priority;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    /// <summary>A case's median time in nanoseconds, or null when it did not run.</summary>
    public static double? MedianNanoseconds(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics?.Median is > 0 and var median ? median : null;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => value(summary, benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => value(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
