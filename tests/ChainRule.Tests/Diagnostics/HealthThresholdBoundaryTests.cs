using System;
using ChainRule.Diagnostics;
using Xunit;

namespace ChainRule.Tests.Diagnostics;

/// <summary>
/// Each default threshold exactly at its value and one double step past it: "below 1e-7", "above 1e3", "max/min over
/// 100", "more than 90% dead" are strict, so a comparison turned from &lt; into ≤ (or back) fails here.
/// </summary>
public class HealthThresholdBoundaryTests
{
    private static GradientReport Report(double norm0, double norm1, int dead = 0, int total = 10)
    {
        var report = new GradientReport(["a", "b"]);
        report.Begin(1, 0.1);
        report.RecordDeadUnits(0, dead, total);
        report.Record(1, norm1, 0, 1);
        report.Record(0, norm0, 0, 1);
        report.Complete(1.0, 1.0, updateApplied: true);
        return report;
    }

    [Fact]
    public void Vanishing_is_strictly_below_its_threshold()
    {
        double threshold = new HealthThresholds().Vanishing;
        Assert.Equal(1e-7, threshold);
        Assert.False(Report(threshold, threshold)[0].Flags.HasFlag(GradientFlag.Vanishing));
        Assert.True(Report(Math.BitDecrement(threshold), threshold)[0].Flags.HasFlag(GradientFlag.Vanishing));
    }

    [Fact]
    public void Exploding_is_strictly_above_its_threshold()
    {
        double threshold = new HealthThresholds().Exploding;
        Assert.Equal(1e3, threshold);
        Assert.False(Report(threshold, threshold)[0].Flags.HasFlag(GradientFlag.Exploding));
        Assert.True(Report(Math.BitIncrement(threshold), threshold)[0].Flags.HasFlag(GradientFlag.Exploding));
    }

    [Fact]
    public void A_flow_problem_is_a_ratio_strictly_above_its_threshold()
    {
        double ratio = new HealthThresholds().FlowRatio;
        Assert.Equal(100, ratio);
        GradientReport at = Report(1.0, ratio);
        Assert.Equal(ratio, at.MaxMinRatio);
        Assert.False(at.HasFlowProblem);
        GradientReport past = Report(1.0, Math.BitIncrement(ratio));
        Assert.True(past.MaxMinRatio > ratio);
        Assert.True(past.HasFlowProblem);
    }

    [Fact]
    public void Dead_units_are_flagged_strictly_above_the_fraction()
    {
        double fraction = new HealthThresholds().DeadFraction;
        Assert.Equal(0.9, fraction);
        // 9 of 10 is exactly 0.9 in double; 901 of 1000 the smallest count past it at that total.
        Assert.False(Report(1, 1, dead: 9, total: 10)[0].Flags.HasFlag(GradientFlag.DeadUnits));
        Assert.False(Report(1, 1, dead: 900, total: 1000)[0].Flags.HasFlag(GradientFlag.DeadUnits));
        Assert.True(Report(1, 1, dead: 901, total: 1000)[0].Flags.HasFlag(GradientFlag.DeadUnits));
    }
}
