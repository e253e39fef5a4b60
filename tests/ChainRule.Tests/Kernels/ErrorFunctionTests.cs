using System;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class ErrorFunctionTests
{
    // Reference values from glibc's erf/erfc (correctly rounded or within 1 ulp).
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1e-10, 1.1283791670955126e-10)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(0.84, 0.7651427114549946)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(1.5, 0.9661051464753108)]
    [InlineData(1.99, 0.995111413199617)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.999593047982555)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(4.0, 0.9999999845827421)]
    [InlineData(5.0, 0.9999999999984626)]
    [InlineData(30.0, 1.0)]
    [InlineData(-0.5, -0.5204998778130465)]
    [InlineData(-3.0, -0.9999779095030014)]
    public void Erf_matches_known_values(double x, double expected)
    {
        double actual = ErrorFunction.Erf(x);
        Assert.True(Math.Abs(actual - expected) <= 2e-15 * Math.Abs(expected), $"erf({x:R}) = {actual:R}, expected {expected:R}, relative error {Math.Abs(actual - expected) / Math.Abs(expected):E2}");
    }

    [Theory]
    [InlineData(0.25, 0.7236736098317631)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(1.99, 0.004888586800383003)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(2.01, 0.004475150644751763)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    [InlineData(20.0, 5.3958656116079005e-176)]
    [InlineData(26.0, 5.663192408856143e-296)]
    [InlineData(-1.0, 1.842700792949715)]
    [InlineData(-3.0, 1.9999779095030015)]
    public void Erfc_matches_known_values_without_cancellation_in_the_tail(double x, double expected)
    {
        double actual = ErrorFunction.Erfc(x);
        // Below x = 2, erfc is 1 − erf: its error is absolute (about ulp(1)), not relative.
        double tolerance = 4e-15 * Math.Abs(expected) + (x < 2 ? 3e-16 : 0);
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"erfc({x:R}) = {actual:R}, expected {expected:R}, error {Math.Abs(actual - expected):E2}");
    }

    [Fact]
    public void Erf_is_odd_monotone_and_handles_special_values()
    {
        Assert.True(double.IsNaN(ErrorFunction.Erf(double.NaN)));
        Assert.True(double.IsNaN(ErrorFunction.Erfc(double.NaN)));
        Assert.Equal(1.0, ErrorFunction.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, ErrorFunction.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, ErrorFunction.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, ErrorFunction.Erfc(double.NegativeInfinity));
        double previous = -1;
        for (double x = -6; x <= 6; x += 1.0 / 64)
        {
            double value = ErrorFunction.Erf(x);
            Assert.Equal(-value, ErrorFunction.Erf(-x));
            Assert.True(value >= previous, $"erf not monotone at {x}");
            Assert.True(Math.Abs(value + ErrorFunction.Erfc(x) - 1) <= 4e-16, $"erf + erfc ≠ 1 at {x}");
            previous = value;
        }
    }
}
