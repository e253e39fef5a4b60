using System;
using Xunit.Sdk;

namespace ChainRule.Tests.Kernels;

/// <summary>Central finite differences in double: <c>(L(θ + h) − L(θ − h)) / 2h</c> per element.</summary>
internal static class GradientCheck
{
    public const double MaxRelativeError = 1e-6;

    /// <summary>
    /// Perturbs each element of <paramref name="parameters"/> in place (restoring it) and compares
    /// <paramref name="analytic"/> with the central difference of <paramref name="loss"/>.
    /// Relative error <c>|a − n| / max(|a|, |n|, 1e-8)</c> must stay below 1e-6.
    /// </summary>
    public static void AgainstFiniteDifferences(double[] parameters, ReadOnlySpan<double> analytic, Func<double> loss, string label, double step = 1e-5)
    {
        double worst = 0;
        int worstIndex = -1;
        double worstAnalytic = 0, worstNumeric = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + step;
            double plus = loss();
            parameters[i] = saved - step;
            double minus = loss();
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * step);
            double error = Math.Abs(analytic[i] - numeric) / Math.Max(1e-8, Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)));
            if (!(error <= worst) || worstIndex < 0)
            {
                worst = error; worstIndex = i; worstAnalytic = analytic[i]; worstNumeric = numeric;
            }
        }
        if (!(worst < MaxRelativeError))
            throw new XunitException($"{label}: relative error {worst:E3} at [{worstIndex}]: analytic {worstAnalytic:R}, finite difference {worstNumeric:R}.");
    }
    /// <summary>
    /// As <see cref="AgainstFiniteDifferences"/>, but norm-wise: <c>max_i |a_i − n_i| / max_i |n_i|</c> below 1e-6.
    /// For gradients whose elements sum to zero by construction (normalization layers), where single elements can be
    /// tiny next to the rest and a per-element ratio measures only the finite difference's rounding.
    /// </summary>
    public static void AgainstFiniteDifferencesNormwise(double[] parameters, ReadOnlySpan<double> analytic, Func<double> loss, string label, double step = 1e-5)
    {
        if (analytic.Length != parameters.Length)
            throw new XunitException($"{label}: {analytic.Length} analytic gradients for {parameters.Length} parameters.");
        var numeric = new double[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + step;
            double plus = loss();
            parameters[i] = saved - step;
            double minus = loss();
            parameters[i] = saved;
            numeric[i] = (plus - minus) / (2 * step);
        }
        double maxDifference = 0, maxNumeric = 0;
        int worstIndex = -1;
        for (int i = 0; i < numeric.Length; i++)
        {
            double difference = Math.Abs(analytic[i] - numeric[i]);
            if (!(difference <= maxDifference) || worstIndex < 0) { maxDifference = difference; worstIndex = i; }
            maxNumeric = Math.Max(maxNumeric, Math.Abs(numeric[i]));
        }
        double error = maxDifference / Math.Max(maxNumeric, 1e-12);
        if (!(error < MaxRelativeError) && !(maxDifference < 1e-12))
            throw new XunitException($"{label}: norm-wise relative error max|a − n|/max|n| = {error:E3} (max|n| = {maxNumeric:E3}); worst [{worstIndex}]: analytic {analytic[worstIndex]:R}, finite difference {numeric[worstIndex]:R}.");
    }
}
