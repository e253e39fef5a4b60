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
}
