using System;
using System.Numerics;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

public class ClippingTests
{
    [Fact]
    public void Global_norm_scales_by_torch_coefficient_and_returns_the_pre_clip_norm()
    {
        // ‖(3, 4, 0, 12)‖ = 13; torch: coefficient = 1 / (13 + 1e-6).
        double[] g = [3, 4, 0, 12];
        double total = GradientClipping.GlobalNorm<double>(g, 1.0);
        Assert.Equal(13.0, total);
        double coefficient = 1.0 / (13.0 + 1e-6);
        NumericAssert.Close<double>([3 * coefficient, 4 * coefficient, 0, 12 * coefficient], g, "clipped");

        float[] f = [3, 4, 0, 12];
        float totalFloat = GradientClipping.GlobalNorm<float>(f, 6.5f);
        Assert.Equal(13f, totalFloat);
        NumericAssert.Close<float>([1.5, 2, 0, 6], f, "clipped to half");
    }

    [Fact]
    public void Global_norm_leaves_gradients_alone_when_the_coefficient_is_not_below_one()
    {
        double[] g = [3, 4];
        Assert.Equal(5.0, GradientClipping.GlobalNorm<double>(g, 10.0));
        Assert.Equal([3.0, 4.0], g);

        // The 1e-6 epsilon: at total = maxNorm the coefficient is 5/(5 + 1e-6) < 1, so torch scales slightly...
        g = [3, 4];
        GradientClipping.GlobalNorm<double>(g, 5.0);
        Assert.Equal(3 * (5 / (5 + 1e-6)), g[0]);
        Assert.True(g[0] < 3);
        // ...and just above it, coefficient ≥ 1 and nothing changes.
        g = [3, 4];
        GradientClipping.GlobalNorm<double>(g, 5.0 + 1e-6);
        Assert.Equal([3.0, 4.0], g);
    }

    [Fact]
    public void Global_norm_over_a_long_float_buffer_is_accurate_and_equals_the_scaling_half()
    {
        var random = new Random(5);
        float[] g = NumericAssert.Random<float>(random, 100_003, scale: 3);
        float[] copy = (float[])g.Clone();
        double expected = 0;
        foreach (float v in g) expected += (double)v * v;
        expected = Math.Sqrt(expected);

        float total = GradientClipping.GlobalNorm<float>(g, 1f);
        NumericAssert.Close<float>([expected], [total], 0, 1e-6, "norm of 100 003 floats");
        double coefficient = 1 / (expected + 1e-6);
        double applied = GradientClipping.ScaleToMaxNorm<float>(copy, expected, 1.0);
        Assert.Equal(coefficient, applied, 12);
        Assert.True(g.AsSpan().SequenceEqual(copy) || MaxDifference(g, copy) < 1e-7);
    }

    [Fact]
    public void Global_norm_with_a_non_finite_total_leaves_gradients_for_the_report()
    {
        double[] g = [1, double.PositiveInfinity, 2];
        Assert.Equal(double.PositiveInfinity, GradientClipping.GlobalNorm<double>(g, 1.0));
        Assert.Equal([1.0, double.PositiveInfinity, 2.0], g);
        g = [1, double.NaN];
        Assert.True(double.IsNaN(GradientClipping.GlobalNorm<double>(g, 1.0)));
        Assert.Equal(1.0, g[0]);
    }

    [Fact]
    public void Value_clamps_to_the_symmetric_interval()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(2);
            T[] g = NumericAssert.Random<T>(random, 37, scale: 2);
            double[] expected = NumericAssert.ToDouble<T>(g);
            for (int i = 0; i < expected.Length; i++)
                expected[i] = Math.Clamp(expected[i], -0.5, 0.5);
            GradientClipping.Value<T>(g, T.CreateTruncating(0.5));
            NumericAssert.Close<T>(expected, g, 0, 0, $"clip_grad_value_ <{typeof(T).Name}>");
        }
    }

    [Fact]
    public void Adaptive_clips_only_the_rows_over_lambda_to_ratio_exactly_lambda()
    {
        // W rows: ‖(3,4)‖ = 5, ‖(0,0)‖ = 0 → ε, ‖(6,8)‖ = 10.  λ = 0.1, ε = 1e-3.
        double[] w = [3, 4, 0, 0, 6, 8];
        // G rows: ‖(0.3,0.4)‖ = 0.5 → ratio 0.1, exactly λ: not clipped (strict >).
        //         ‖(1e-4, 0)‖ = 1e-4 → ratio 0.1 against ε: not clipped.  Replace with 1e-3 → ratio 1: clipped.
        //         ‖(6, 8)‖ = 10 → ratio 1: clipped to norm 1.
        double[] g = [0.3, 0.4, 1e-3, 0, 6, 8];
        int clipped = GradientClipping.Adaptive<double>(g, w, rows: 3, columns: 2, lambda: 0.1, epsilon: 1e-3);
        Assert.Equal(2, clipped);
        Assert.Equal([0.3, 0.4], g[..2]);
        NumericAssert.Close<double>([1e-4, 0], g.AsSpan(2, 2), 1e-18, 1e-12, "row 1 rescaled to λ·ε");
        NumericAssert.Close<double>([0.6, 0.8], g.AsSpan(4, 2), 1e-15, 1e-12, "row 2 rescaled to λ·‖W‖");
        for (int row = 1; row < 3; row++)
        {
            double gn = Math.Sqrt(g[2 * row] * g[2 * row] + g[2 * row + 1] * g[2 * row + 1]);
            double wn = Math.Max(Math.Sqrt(w[2 * row] * w[2 * row] + w[2 * row + 1] * w[2 * row + 1]), 1e-3);
            Assert.Equal(0.1, gn / wn, 12);
        }
    }

    [Fact]
    public void Adaptive_matches_the_nfnets_formula_on_random_rows_and_treats_a_bias_as_one_unit()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int rows = 13, columns = 37;
            const double lambda = 0.05, epsilon = 1e-3;
            var random = new Random(9);
            T[] w = NumericAssert.Random<T>(random, rows * columns);
            T[] g = new T[rows * columns];
            for (int i = 0; i < rows; i++)
            {
                double scale = i % 3 == 0 ? 1 : 1e-3; // some rows well over λ, the others well under
                NumericAssert.Random<T>(random, columns, scale).CopyTo(g, i * columns);
            }
            double[] expected = NumericAssert.ToDouble<T>(g);
            int expectedClipped = 0;
            for (int i = 0; i < rows; i++)
            {
                double gn = 0, wn = 0;
                for (int j = 0; j < columns; j++)
                {
                    gn += expected[i * columns + j] * expected[i * columns + j];
                    wn += double.CreateTruncating(w[i * columns + j]) * double.CreateTruncating(w[i * columns + j]);
                }
                double maxNorm = lambda * Math.Max(Math.Sqrt(wn), epsilon);
                gn = Math.Sqrt(gn);
                if (gn > maxNorm)
                {
                    expectedClipped++;
                    for (int j = 0; j < columns; j++)
                        expected[i * columns + j] *= maxNorm / Math.Max(gn, 1e-6);
                }
            }
            int clipped = GradientClipping.Adaptive<T>(g, w, rows, columns, T.CreateTruncating(lambda), T.CreateTruncating(epsilon));
            Assert.Equal(expectedClipped, clipped);
            Assert.InRange(clipped, 1, rows - 1);
            NumericAssert.Close<T>(expected, g, $"AGC <{typeof(T).Name}>");

            // A bias is one unit: rows = 1.
            T[] bias = [T.CreateTruncating(0.3), T.CreateTruncating(0.4)];
            T[] dbias = [T.CreateTruncating(3), T.CreateTruncating(4)];
            Assert.Equal(1, GradientClipping.Adaptive<T>(dbias, bias, 1, 2, T.CreateTruncating(0.1), T.CreateTruncating(epsilon)));
            NumericAssert.Close<T>([0.03, 0.04], dbias, "bias as one unit");
        }
    }

    [Fact]
    public void Factories_and_kernels_reject_bad_thresholds()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.GlobalNorm(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.GlobalNorm(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.Value(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.Adaptive(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.Adaptive(0.01, epsilon: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.GlobalNorm<float>(new float[3], -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.Value<float>(new float[3], 0f));
        Assert.Throws<ArgumentException>(() => GradientClipping.Adaptive<float>(new float[6], new float[5], 2, 3, 0.1f, 1e-3f));

        ClippingOptions adaptive = Clipping.Adaptive(0.02);
        Assert.Equal(ClippingKind.Adaptive, adaptive.Kind);
        Assert.Equal(0.02, adaptive.Threshold);
        Assert.Equal(1e-3, adaptive.Epsilon);
        Assert.Equal("Adaptive(lambda=0.02, eps=0.001)", adaptive.ToString());
        Assert.Equal(ClippingKind.None, Clipping.None.Kind);
        Assert.Equal("GlobalNorm(max_norm=1)", Clipping.GlobalNorm(1).ToString());
    }

    private static double MaxDifference(float[] a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
