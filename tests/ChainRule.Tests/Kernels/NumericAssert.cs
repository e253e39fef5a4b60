using System;
using System.Numerics;
using System.Text;
using Xunit.Sdk;

namespace ChainRule.Tests.Kernels;

/// <summary>Tensor comparisons in the style of llm.c's <c>check_tensor</c>: on failure, the first differing elements and the max error.</summary>
internal static class NumericAssert
{
    /// <summary>Float and double tolerances for results of short sums and transcendental functions.</summary>
    public static (double Absolute, double Relative) Tolerance<T>() => typeof(T) == typeof(float) ? (2e-5, 1e-4) : (1e-12, 1e-11);

    /// <summary>Asserts <c>|actual[i] − expected[i]| ≤ absolute + relative·|expected[i]|</c> for every element.</summary>
    public static void Close<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, double absolute, double relative, string label)
        where T : IFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{label}: length {actual.Length}, expected {expected.Length}.");
        double maxError = 0;
        int maxIndex = -1, failures = 0;
        var report = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double error = Math.Abs(a - expected[i]);
            bool bad = !(error <= absolute + relative * Math.Abs(expected[i])) && !(double.IsNaN(a) && double.IsNaN(expected[i]));
            if (error > maxError || (double.IsNaN(error) && maxIndex < 0)) { maxError = error; maxIndex = i; }
            if (bad && ++failures <= 5)
                report.AppendLine($"  [{i}] expected {expected[i]:R}, got {a:R}, error {error:E3}");
        }
        if (failures > 0)
            throw new XunitException($"{label}: {failures} of {expected.Length} elements differ (tolerance {absolute:E1} + {relative:E1}·|x|); max error {maxError:E3} at [{maxIndex}]. First ones:\n{report}");
    }

    /// <summary><see cref="Close{T}(ReadOnlySpan{double}, ReadOnlySpan{T}, double, double, string)"/> with the element type's default tolerance.</summary>
    public static void Close<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, string label)
        where T : IFloatingPointIeee754<T>
    {
        var (absolute, relative) = Tolerance<T>();
        Close(expected, actual, absolute, relative, label);
    }

    public static T[] Random<T>(Random random, int length, double scale = 1.0)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
            values[i] = T.CreateTruncating((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary><c>Σ v²</c> in double: the reference for the kernels' sums of squares.</summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T value in values)
            sum += double.CreateTruncating(value) * double.CreateTruncating(value);
        return sum;
    }

    public static double[] ToDouble<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = double.CreateTruncating(values[i]);
        return result;
    }
}
