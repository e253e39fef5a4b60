using System;
using System.Globalization;

namespace ChainRule.Diagnostics;

/// <summary>
/// When a <see cref="GradientReport"/> flags a layer, with defaults from practice. Immutable once built; each value
/// is checked as it is set, and the pair <see cref="Vanishing"/> &lt; <see cref="Exploding"/> by <see cref="Validate"/>.
/// </summary>
public sealed class HealthThresholds
{
    private readonly double _vanishing = 1e-7;
    private readonly double _exploding = 1e3;
    private readonly double _flowRatio = 100;
    private readonly double _deadFraction = 0.9;

    /// <summary>A layer's weight-gradient norm below this is <see cref="GradientFlag.Vanishing"/>. Default 1e-7; finite, ≥ 0 (0 turns the check off).</summary>
    public double Vanishing
    {
        get => _vanishing;
        init => _vanishing = value >= 0 && double.IsFinite(value) ? value : throw Invalid(nameof(Vanishing), value, "a finite number ≥ 0");
    }

    /// <summary>A layer's weight-gradient norm above this is <see cref="GradientFlag.Exploding"/>. Default 1e3; &gt; 0 (∞ turns the check off).</summary>
    public double Exploding
    {
        get => _exploding;
        init => _exploding = value > 0 ? value : throw Invalid(nameof(Exploding), value, "a number > 0 (∞ to turn it off)");
    }

    /// <summary>
    /// Max/min of the layers' weight-gradient norms above this is a gradient flow problem
    /// (<see cref="GradientReport.HasFlowProblem"/>). Default 100; ≥ 1 (∞ turns the check off).
    /// </summary>
    public double FlowRatio
    {
        get => _flowRatio;
        init => _flowRatio = value >= 1 ? value : throw Invalid(nameof(FlowRatio), value, "a number ≥ 1 (∞ to turn it off)");
    }

    /// <summary>A ReLU-family layer with more than this fraction of its outputs dead over the batch is <see cref="GradientFlag.DeadUnits"/>. Default 0.9; in [0, 1] (1 turns the check off).</summary>
    public double DeadFraction
    {
        get => _deadFraction;
        init => _deadFraction = value >= 0 && value <= 1 ? value : throw Invalid(nameof(DeadFraction), value, "a fraction in [0, 1]");
    }

    /// <summary>Throws unless <see cref="Vanishing"/> &lt; <see cref="Exploding"/>.</summary>
    /// <exception cref="ArgumentException">The vanishing threshold is not below the exploding one.</exception>
    public void Validate()
    {
        if (!(Vanishing < Exploding))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"HealthThresholds.Vanishing ({Vanishing}) must be below Exploding ({Exploding})."), nameof(Vanishing));
    }

    /// <summary>The thresholds in one line.</summary>
    /// <returns>For example <c>vanishing &lt; 1E-07, exploding &gt; 1000, flow ratio &gt; 100, dead &gt; 0.9</c>.</returns>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"vanishing < {Vanishing}, exploding > {Exploding}, flow ratio > {FlowRatio}, dead > {DeadFraction}");

    private static ArgumentOutOfRangeException Invalid(string name, double value, string requirement)
        => new(name, value, $"HealthThresholds.{name} must be {requirement}.");
}
