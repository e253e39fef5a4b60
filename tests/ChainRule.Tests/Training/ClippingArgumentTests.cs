using System;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

/// <summary>
/// The clipping kernels' public entry points refuse a bad threshold or shape with the exception type and parameter name
/// their docs give, before touching the gradients.
/// </summary>
public class ClippingArgumentTests
{
    public static TheoryData<double> NotPositiveAndFinite() => new() { 0, -1, double.NaN, double.PositiveInfinity };

    private static float[] Gradients() => [3, -4, 0.5f, 12, 0, -7];

    [Theory]
    [MemberData(nameof(NotPositiveAndFinite))]
    public void Every_threshold_must_be_positive_and_finite(double bad)
    {
        float[] g = Gradients();
        Check("maxNorm", () => GradientClipping.GlobalNorm<float>(g, (float)bad));
        Check("maxNorm", () => GradientClipping.ScaleToMaxNorm<float>(g, totalNorm: 14, maxNorm: bad));
        Check("clipValue", () => GradientClipping.Value<float>(g, (float)bad));
        Check("lambda", () => GradientClipping.Adaptive<float>(g, Gradients(), 2, 3, (float)bad, 1e-3f));
        Check("epsilon", () => GradientClipping.Adaptive<float>(g, Gradients(), 2, 3, 0.01f, (float)bad));
        Assert.Equal(Gradients(), g);

        static void Check(string parameter, Action call)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal(parameter, error.ParamName);
            Assert.Contains($"{parameter} must be a finite number > 0", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Adaptive_refuses_a_shape_naming_the_argument_and_the_expected_shape()
    {
        float[] g = Gradients();
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.Adaptive<float>(g, Gradients(), -2, -3, 0.01f, 1e-3f)).ParamName);
        Assert.Equal("columns", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.Adaptive<float>(g, Gradients(), 0, -3, 0.01f, 1e-3f)).ParamName);

        var error = Assert.Throws<ArgumentException>(() => GradientClipping.Adaptive<float>(g.AsSpan(0, 5), Gradients(), 2, 3, 0.01f, 1e-3f));
        Assert.Equal("gradient", error.ParamName);
        Assert.StartsWith("Expected 6 elements, shape (rows, columns) = (2, 3); got 5.", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => GradientClipping.Adaptive<float>(g, new float[7], 2, 3, 0.01f, 1e-3f));
        Assert.Equal("weight", error.ParamName);
        Assert.StartsWith("Expected 6 elements, shape (rows, columns) = (2, 3); got 7.", error.Message, StringComparison.Ordinal);
        Assert.Equal(Gradients(), g);
    }

    [Fact]
    public void Clipping_options_describe_themselves()
    {
        Assert.Equal("None", Clipping.None.ToString());
        Assert.Equal("GlobalNorm(max_norm=1.5)", Clipping.GlobalNorm(1.5).ToString());
    }
}
