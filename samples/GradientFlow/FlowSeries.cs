using System;
using System.Globalization;

namespace GradientFlow;

/// <summary>One network's weight-gradient norms by depth, and whether they look the way the experiment expects.</summary>
/// <param name="Name">The network's class name.</param>
/// <param name="Description">What the 20 layers are, for the legend.</param>
/// <param name="Norms"><c>‖∇W‖</c> of the hidden layer at depth <c>i + 1</c> (input side first).</param>
/// <param name="ExpectVanishing">Whether the gradient should die towards the input (the plain sigmoid network).</param>
/// <param name="FlowRatioLimit">Max/min above this is a flow problem.</param>
/// <param name="Predicted">The compiler's prediction for the same layers (<c>PredictedGradientNorms</c>, relative to the
/// last layer), anchored at the last layer's measured norm so that both share one scale.</param>
internal sealed record FlowSeries(string Name, string Description, double[] Norms, bool ExpectVanishing, double FlowRatioLimit, double[] Predicted)
{
    /// <summary>The first layer's norm is "far below" the last's when it is this many times smaller.</summary>
    private const double FarBelow = 1e3;

    public double First => Norms[0];

    public double Last => Norms[^1];

    /// <summary>Max/min over the finite norms: ∞ when the smallest is 0, NaN when none is finite.</summary>
    public double MaxMinRatio
    {
        get
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            foreach (double norm in Norms)
            {
                if (!double.IsFinite(norm))
                    continue;
                min = Math.Min(min, norm);
                max = Math.Max(max, norm);
            }
            return max < min ? double.NaN : min == 0 ? double.PositiveInfinity : max / min;
        }
    }

    /// <summary>The largest |log10(predicted / measured)| over the layers: how many decades the compile-time estimate was off.</summary>
    public double WorstPredictionError
    {
        get
        {
            double worst = 0;
            for (int i = 0; i < Norms.Length; i++)
            {
                if (Norms[i] > 0 && Predicted[i] > 0 && double.IsFinite(Norms[i]))
                    worst = Math.Max(worst, Math.Abs(Math.Log10(Predicted[i] / Norms[i])));
            }
            return worst;
        }
    }

    public bool IsVanishing => MaxMinRatio > FlowRatioLimit && First * FarBelow < Last;

    public bool IsHealthy => MaxMinRatio <= FlowRatioLimit;

    public bool MatchesExpectation => ExpectVanishing ? IsVanishing : IsHealthy;

    public string Verdict => IsVanishing ? "vanishing" : IsHealthy ? "healthy" : "flow problem (not vanishing towards the input)";

    public string Summary()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Name,-16} max/min {Format(MaxMinRatio)}  first {Format(First)}  last {Format(Last)}  -> {Verdict}{(MatchesExpectation ? "" : $" (expected {(ExpectVanishing ? "vanishing" : "healthy")})")}; predicted within {WorstPredictionError:0.00} decades");

    /// <summary>Scientific notation with 3 decimals, invariant culture.</summary>
    public static string Format(double value)
        => double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "inf" : value.ToString("0.000e+00", CultureInfo.InvariantCulture);
}
