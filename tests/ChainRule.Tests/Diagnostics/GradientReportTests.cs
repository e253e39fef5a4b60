using System;
using ChainRule.Diagnostics;
using Xunit;

namespace ChainRule.Tests.Diagnostics;

public class GradientReportTests
{
    private static GradientReport Healthy()
    {
        var report = new GradientReport(["Hidden", "Hidden2", "Logits"]);
        report.Begin(7, 3e-4);
        report.RecordDeadUnits(0, 64, 256);
        report.RecordDeadUnits(1, 10, 128);
        report.Record(2, 0.5, 0.1, 2.0);
        report.Record(1, 0.25, 0.05, 4.0);
        report.Record(0, 0.1, 0.02, 8.0);
        report.Complete(2.302585, 0.6, updateApplied: true);
        return report;
    }

    [Fact]
    public void Healthy_step_has_no_flags_and_the_right_numbers()
    {
        GradientReport report = Healthy();
        Assert.True(report.IsHealthy);
        Assert.Equal(7, report.Step);
        Assert.Equal(3e-4, report.LearningRate);
        Assert.Equal(0.6, report.TotalNorm);
        Assert.True(report.UpdateApplied);
        Assert.Equal(3, report.LayerCount);
        Assert.Equal(5.0, report.MaxMinRatio, 12);
        Assert.False(report.HasFlowProblem);
        Assert.Null(report.FirstNonFiniteLayer);
        Assert.Null(report.FirstNonFinitePass);

        LayerReport hidden = report[0];
        Assert.Equal("Hidden", hidden.Name);
        Assert.Equal(0.1, hidden.WeightGradientNorm);
        Assert.Equal(0.02, hidden.BiasGradientNorm);
        Assert.Equal(8.0, hidden.WeightNorm);
        Assert.Equal(0.1 / 8.0, hidden.GradientToWeightRatio);
        Assert.Equal(0.25, hidden.DeadFraction);
        Assert.Equal(GradientFlag.None, hidden.Flags);
        Assert.True(double.IsNaN(report[2].DeadFraction)); // not a ReLU layer
    }

    [Fact]
    public void Vanishing_exploding_dead_units_and_flow_problem_are_flagged()
    {
        var report = new GradientReport(["a", "b", "c", "d"], new HealthThresholds { DeadFraction = 0.5 });
        report.Begin(1, 0.1);
        report.RecordDeadUnits(0, 30, 40);   // 75% > 50%
        report.RecordDeadUnits(0, 10, 60);   // counts add: 40/100 = 40% — not flagged
        report.RecordDeadUnits(1, 51, 100);  // 51% > 50%
        report.Record(3, 2e3, 1, 1);         // exploding
        report.Record(2, 1, 1, 1);
        report.Record(1, 1, 1, 1);
        report.Record(0, 1e-8, 1e-9, 1);     // vanishing
        report.Complete(1.0, 2e3, updateApplied: true);

        Assert.Equal(0.4, report[0].DeadFraction, 12);
        Assert.Equal(GradientFlag.Vanishing, report[0].Flags);
        Assert.Equal(GradientFlag.DeadUnits, report[1].Flags);
        Assert.Equal(GradientFlag.None, report[2].Flags);
        Assert.Equal(GradientFlag.Exploding, report[3].Flags);
        Assert.Equal(GradientFlag.Vanishing | GradientFlag.DeadUnits | GradientFlag.Exploding, report.Flags);
        Assert.Equal(2e11, report.MaxMinRatio, 1);
        Assert.True(report.HasFlowProblem);
        Assert.False(report.IsHealthy);

        string text = report.ToString();
        Assert.Contains("step 1:", text, StringComparison.Ordinal);
        Assert.Contains("max/min gradient norm ratio: 2.0e+11 — gradient flow problem (> 100×)", text, StringComparison.Ordinal);
        Assert.Contains("Vanishing", text, StringComparison.Ordinal);
        Assert.Contains("Exploding", text, StringComparison.Ordinal);
        Assert.Contains("DeadUnits", text, StringComparison.Ordinal);
        Assert.Contains("51.0%", text, StringComparison.Ordinal);
        Assert.Contains("1.000e-08", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_gradient_norm_makes_the_ratio_infinite()
    {
        var report = new GradientReport(["a", "b"]);
        report.Begin(0, 0);
        report.Record(1, 1, 0, 1);
        report.Record(0, 0, 0, 1);
        report.Complete(1, 1, true);
        Assert.Equal(double.PositiveInfinity, report.MaxMinRatio);
        Assert.True(report.HasFlowProblem);
        Assert.Equal(GradientFlag.Vanishing, report[0].Flags);
        Assert.Contains("ratio: inf — gradient flow problem", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_non_finite_layer_is_named_with_its_pass_and_excluded_from_the_ratio()
    {
        var report = new GradientReport(["Hidden", "Hidden2", "Logits"]);
        report.Begin(42, 0.01);
        report.RecordNonFinite(1, Pass.Forward);                  // forward first
        report.Record(2, double.NaN, double.NaN, 1);              // then the backward pass spreads it
        report.Record(1, double.PositiveInfinity, 1, 1);
        report.Record(0, 1e-2, 1e-3, 1);
        report.Complete(double.NaN, double.NaN, updateApplied: false);

        Assert.Equal("Hidden2", report.FirstNonFiniteLayer);
        Assert.Equal(Pass.Forward, report.FirstNonFinitePass);
        Assert.True(report.HasNonFinite);
        Assert.False(report.IsHealthy);
        Assert.Equal(GradientFlag.NonFinite, report[1].Flags);
        Assert.Equal(GradientFlag.NonFinite, report[2].Flags);
        Assert.Equal(GradientFlag.None, report[0].Flags);
        Assert.Equal(1.0, report.MaxMinRatio); // only the finite layer counts
        string text = report.ToString();
        Assert.Contains("non-finite values first in layer Hidden2 (forward pass); update not applied", text, StringComparison.Ordinal);

        var error = new NonFiniteGradientException(report.FirstNonFiniteLayer, report.FirstNonFinitePass, report.Step);
        Assert.Contains("'Hidden2'", error.Message, StringComparison.Ordinal);
        Assert.Contains("forward pass", error.Message, StringComparison.Ordinal);
        Assert.Contains("step 42", error.Message, StringComparison.Ordinal);
        Assert.Equal("Hidden2", error.Layer);
        Assert.Equal(42, error.Step);

        // A backward-only NaN names the layer nearest the loss that produced it.
        report.Begin(43, 0.01);
        report.Record(2, 1, 1, 1);
        report.Record(1, double.NaN, double.NaN, 1);
        report.Record(0, double.NaN, double.NaN, 1);
        report.Complete(1, double.NaN, false);
        Assert.Equal("Hidden2", report.FirstNonFiniteLayer);
        Assert.Equal(Pass.Backward, report.FirstNonFinitePass);
        Assert.Contains("(backward pass)", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void To_string_is_an_aligned_invariant_table()
    {
        string text = Healthy().ToString();
        string[] lines = text.Split('\n');
        Assert.Equal(6, lines.Length); // header, column names, 3 layers, ratio
        Assert.StartsWith("step 7: loss 2.30259, lr 3.000e-04, total gradient norm 6.000e-01", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("layer  ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("Hidden   ", lines[2], StringComparison.Ordinal);
        Assert.Contains("1.000e-01", lines[2], StringComparison.Ordinal);
        Assert.Contains("25.0%", lines[2], StringComparison.Ordinal);
        Assert.Contains("1.250e-02", lines[2], StringComparison.Ordinal); // ‖∇W‖/‖W‖
        // Right-aligned numeric columns end at the same offsets on every row.
        int end = lines[1].IndexOf("|grad b|", StringComparison.Ordinal) + "|grad b|".Length;
        for (int i = 2; i < 5; i++)
            Assert.Equal(' ', lines[i][end]);
        Assert.Equal("max/min gradient norm ratio: 5.0e+00", lines[5]);
        Assert.Equal("GradientReport: no step recorded yet.", new GradientReport(["a"]).ToString());
    }

    [Fact]
    public void Thresholds_and_indices_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HealthThresholds { Vanishing = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HealthThresholds { Exploding = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HealthThresholds { FlowRatio = 0.5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HealthThresholds { DeadFraction = 1.5 });
        Assert.Throws<ArgumentException>(() => new GradientReport(["a"], new HealthThresholds { Vanishing = 5, Exploding = 1 }));
        var defaults = new HealthThresholds();
        Assert.Equal((1e-7, 1e3, 100.0, 0.9), (defaults.Vanishing, defaults.Exploding, defaults.FlowRatio, defaults.DeadFraction));
        var report = new GradientReport(["a"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => report.Record(1, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => report.RecordDeadUnits(0, 5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => report[-1]);
    }
}
