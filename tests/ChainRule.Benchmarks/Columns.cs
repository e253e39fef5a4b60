using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ChainRule.Benchmarks;

/// <summary>Names the static field or property (on <see cref="WorkloadFlops"/> or <see cref="PeakFma"/>) holding a benchmark's FLOPs per call.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FlopsAttribute(string member) : Attribute
{
    /// <summary>The member's name.</summary>
    public string Member { get; } = member;

    /// <summary>FLOPs per call of <paramref name="benchmark"/>, or null when it has no <see cref="FlopsAttribute"/>.</summary>
    public static long? Of(BenchmarkCase benchmark)
    {
        var attribute = benchmark.Descriptor.WorkloadMethod.GetCustomAttribute<FlopsAttribute>();
        if (attribute is null)
            return null;
        foreach (var type in new[] { typeof(WorkloadFlops), typeof(PeakFma) })
        {
            var field = type.GetField(attribute.Member, BindingFlags.Public | BindingFlags.Static);
            if (field is null)
                continue;
            long flops = Convert.ToInt64(field.GetValue(null), CultureInfo.InvariantCulture);
            // The peak runs the same loop on every thread.
            return type == typeof(PeakFma) ? flops * GflopsColumn.Threads(benchmark) : flops;
        }
        return null;
    }
}

/// <summary>
/// Achieved GFLOP/s = FLOPs per call / median time, or that as a percentage of the same run's peak: the
/// GFLOP/s of the benchmark whose name starts with <c>PeakFma</c> and has the same <c>Threads</c> parameter.
/// </summary>
public sealed class GflopsColumn(bool showPercentOfPeak) : IColumn
{
    /// <inheritdoc/>
    public string Id => showPercentOfPeak ? "PercentOfPeak" : "GFLOPs";

    /// <inheritdoc/>
    public string ColumnName => showPercentOfPeak ? $"% of {PeakFma.VectorBits}-bit peak" : "GFLOP/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => showPercentOfPeak ? 1 : 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => showPercentOfPeak
        ? $"Achieved GFLOP/s as a percentage of the same run's PeakFmaWidest GFLOP/s ({PeakFma.VectorBits}-bit FMAs) at the same thread count"
        : "2·M·N·K summed over every matrix product run, per median time";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gflops = Gflops(summary, benchmarkCase);
        if (gflops is null)
            return "-";
        if (!showPercentOfPeak)
            return gflops.Value.ToString("F1", CultureInfo.InvariantCulture);
        int threads = Threads(benchmarkCase);
        double? peak = summary.BenchmarksCases
            .Where(b => b.Descriptor.WorkloadMethod.Name.StartsWith("PeakFma", StringComparison.Ordinal) && Threads(b) == threads)
            .Select(b => Gflops(summary, b))
            .Max();
        if (peak is null or <= 0)
            return "-";
        return (100 * gflops.Value / peak.Value).ToString("F1", CultureInfo.InvariantCulture) + "%";
    }

    internal static int Threads(BenchmarkCase benchmark)
    {
        var parameter = benchmark.Parameters.Items.FirstOrDefault(p => p.Name == "Threads");
        if (parameter?.Value is int value)
            return value;
        return benchmark.Descriptor.WorkloadMethod.Name.EndsWith("2Threads", StringComparison.Ordinal) ? 2 : 1;
    }

    private static double? Gflops(Summary summary, BenchmarkCase benchmark)
    {
        long? flops = FlopsAttribute.Of(benchmark);
        var statistics = summary[benchmark]?.ResultStatistics;
        if (flops is null || statistics is null || statistics.Median <= 0)
            return null;
        return flops.Value / statistics.Median; // FLOPs per nanosecond = GFLOP/s
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}

/// <summary>The given percentile of the measured times, in the summary's time unit.</summary>
public sealed class PercentileColumn(int percentile) : IColumn
{
    /// <inheritdoc/>
    public string Id => "P" + percentile.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public string ColumnName => Id;

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Statistics;

    /// <inheritdoc/>
    public int PriorityInCategory => 10;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => $"Percentile {percentile} of the measured times, in microseconds";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null)
            return "-";
        double nanoseconds = statistics.Percentiles.Percentile(percentile);
        return (nanoseconds / 1000).ToString("N2", CultureInfo.InvariantCulture) + " μs"; // one unit for every row
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
