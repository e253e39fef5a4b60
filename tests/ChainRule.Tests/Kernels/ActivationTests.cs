using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class ActivationTests
{
    public delegate void ForwardKernel<T>(Span<T> y, ReadOnlySpan<T> x);
    public delegate void BackwardKernel<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y);

    private sealed record Case(Func<double, double> Reference, Func<double, double> Derivative, Delegate ForwardFloat, Delegate BackwardFloat, Delegate ForwardDouble, Delegate BackwardDouble);

    private static double Phi(double x) => 0.5 * ErrorFunction.Erfc(-x / Math.Sqrt(2));
    private static double Logistic(double x) => 1 / (1 + Math.Exp(-x));

    private static Case For(string name) => name switch
    {
        "Sigmoid" => new(Logistic, x => Logistic(x) * (1 - Logistic(x)),
            (ForwardKernel<float>)Sigmoid.Forward, (BackwardKernel<float>)Sigmoid.Backward, (ForwardKernel<double>)Sigmoid.Forward, (BackwardKernel<double>)Sigmoid.Backward),
        "Tanh" => new(Math.Tanh, x => 1 - Math.Tanh(x) * Math.Tanh(x),
            (ForwardKernel<float>)Tanh.Forward, (BackwardKernel<float>)Tanh.Backward, (ForwardKernel<double>)Tanh.Forward, (BackwardKernel<double>)Tanh.Backward),
        "Relu" => new(x => Math.Max(x, 0), x => x > 0 ? 1 : 0,
            (ForwardKernel<float>)((y, x) => Relu.Forward(y, x)), (BackwardKernel<float>)Relu.Backward, (ForwardKernel<double>)((y, x) => Relu.Forward(y, x)), (BackwardKernel<double>)Relu.Backward),
        "LeakyRelu" => new(x => x > 0 ? x : 0.01 * x, x => x > 0 ? 1 : 0.01,
            (ForwardKernel<float>)((y, x) => LeakyRelu.Forward(y, x)), (BackwardKernel<float>)LeakyRelu.Backward, (ForwardKernel<double>)((y, x) => LeakyRelu.Forward(y, x)), (BackwardKernel<double>)LeakyRelu.Backward),
        "Gelu" => new(x => x * Phi(x), x => Phi(x) + x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI),
            (ForwardKernel<float>)Gelu.Forward, (BackwardKernel<float>)Gelu.Backward, (ForwardKernel<double>)Gelu.Forward, (BackwardKernel<double>)Gelu.Backward),
        "Silu" => new(x => x * Logistic(x), x => Logistic(x) * (1 + x * (1 - Logistic(x))),
            (ForwardKernel<float>)Silu.Forward, (BackwardKernel<float>)Silu.Backward, (ForwardKernel<double>)Silu.Forward, (BackwardKernel<double>)Silu.Backward),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Gelu", "Silu" })
            foreach (int length in new[] { 1, 3, 7, 17, 33, 65, 130 })
                data.Add(name, length);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_reference(string name, int length)
    {
        Case c = For(name);
        Check((ForwardKernel<float>)c.ForwardFloat, (BackwardKernel<float>)c.BackwardFloat);
        Check((ForwardKernel<double>)c.ForwardDouble, (BackwardKernel<double>)c.BackwardDouble);

        void Check<T>(ForwardKernel<T> forward, BackwardKernel<T> backward) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(length * 7 + name.Length);
            T[] x = NumericAssert.Random<T>(random, length, scale: 6), dy = NumericAssert.Random<T>(random, length);
            var expectedY = new double[length];
            var expectedDx = new double[length];
            for (int i = 0; i < length; i++)
            {
                double v = double.CreateTruncating(x[i]);
                expectedY[i] = c.Reference(v);
                expectedDx[i] = double.CreateTruncating(dy[i]) * c.Derivative(v);
            }
            var y = new T[length];
            forward(y, x);
            NumericAssert.Close<T>(expectedY, y, $"{name}.Forward<{typeof(T).Name}>[{length}]");
            T[] dx = NumericAssert.Random<T>(random, length);
            backward(dx, dy, x, y);
            NumericAssert.Close<T>(expectedDx, dx, $"{name}.Backward<{typeof(T).Name}>[{length}]");
        }
    }

    [Theory]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("Relu")]
    [InlineData("LeakyRelu")]
    [InlineData("Gelu")]
    [InlineData("Silu")]
    public void Backward_matches_finite_differences(string name)
    {
        Case c = For(name);
        var forward = (ForwardKernel<double>)c.ForwardDouble;
        var backward = (BackwardKernel<double>)c.BackwardDouble;
        var random = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        const int length = 37;
        double[] x = NumericAssert.Random<double>(random, length, scale: 5);
        for (int i = 0; i < length; i++)
            if (Math.Abs(x[i]) < 1e-3) x[i] = 0.5; // keep the step off the kink of ReLU-like functions
        if (name == "Gelu")
            x[0] = -7.5; // deep in the tail, where Φ comes from erfc; saturating functions near ±1 would leave the difference quotient to rounding noise
        double[] g = NumericAssert.Random<double>(random, length);
        var y = new double[length];
        forward(y, x);
        var dx = new double[length];
        backward(dx, g, x, y);
        // Elementwise, so check each element against its own one-element loss g[i]·f(x[i]): a sum over all
        // elements would drown the tiny derivatives of the saturated tails in the rounding of the sum.
        var point = new double[1];
        var value = new double[1];
        for (int i = 0; i < length; i++)
        {
            point[0] = x[i];
            double weight = g[i];
            GradientCheck.AgainstFiniteDifferences(point, dx.AsSpan(i, 1), () =>
            {
                forward(value, point);
                return weight * value[0];
            }, $"{name} dx[{i}] at x = {x[i]:R}");
        }
    }

    /// <summary>
    /// The float GELU's documented accuracy (docs/numerics.md): within <c>8 + 1.5·x²</c> ulps of the correctly rounded
    /// <c>x·Φ(x)</c>: a few ulps near 0, growing in the negative tail, where <c>e^(−x²/2)</c> is evaluated in float
    /// (its argument's rounding is multiplied by x²/2). Measured over [−10, 10].
    /// </summary>
    [Fact]
    public void Float_gelu_is_within_its_documented_ulps_of_the_exact_form()
    {
        const int count = 20001;
        var x = new float[count];
        for (int i = 0; i < count; i++)
            x[i] = (float)(-10 + 20.0 * i / (count - 1));
        var y = new float[count];
        Gelu.Forward<float>(y, x);
        double worst = 0, worstUlps = 0, nearZero = 0;
        int worstIndex = 0;
        for (int i = 0; i < count; i++)
        {
            double expected = x[i] * Phi(x[i]);
            float rounded = (float)expected;
            if (rounded == 0)
                continue;
            double ulp = (double)MathF.BitIncrement(Math.Abs(rounded)) - Math.Abs(rounded);
            double ulps = Math.Abs(y[i] - expected) / ulp;
            double ofBound = ulps / (8 + 1.5 * x[i] * x[i]);
            if (Math.Abs(x[i]) <= 1)
                nearZero = Math.Max(nearZero, ulps);
            if (ofBound > worst) { worst = ofBound; worstUlps = ulps; worstIndex = i; }
        }
        Assert.True(worst <= 1, $"GELU<float>({x[worstIndex]:R}) = {y[worstIndex]:R}, exact {x[worstIndex] * Phi(x[worstIndex]):R}: {worstUlps:F1} ulps");
        Assert.True(nearZero <= 8, $"{nearZero:F1} ulps within |x| ≤ 1");
    }


    [Fact]
    public void Backward_may_overwrite_dy_in_place()
    {
        var random = new Random(9);
        double[] x = NumericAssert.Random<double>(random, 21, 3), dy = NumericAssert.Random<double>(random, 21);
        var y = new double[21];
        foreach (string name in new[] { "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Gelu", "Silu" })
        {
            Case c = For(name);
            ((ForwardKernel<double>)c.ForwardDouble)(y, x);
            var expected = new double[21];
            ((BackwardKernel<double>)c.BackwardDouble)(expected, dy, x, y);
            double[] inPlace = (double[])dy.Clone();
            ((BackwardKernel<double>)c.BackwardDouble)(inPlace, inPlace, x, y);
            NumericAssert.Close<double>(expected, inPlace, $"{name}.Backward in place");
        }
    }

    [Fact]
    public void Relu_family_keeps_NaN_and_has_zero_subgradient_at_zero()
    {
        double[] x = [double.NaN, 0.0, -2.0];
        var y = new double[3];
        Relu.Forward<double>(y, x);
        Assert.True(double.IsNaN(y[0]));
        Assert.Equal(0.0, y[2]);
        LeakyRelu.Forward<double>(y, x);
        Assert.True(double.IsNaN(y[0]));
        Assert.Equal(-0.02, y[2], 15);
        var dx = new double[3];
        Relu.Backward<double>(dx, [1.0, 1.0, 1.0], x, y);
        Assert.Equal(0.0, dx[1]);
    }

    [Fact]
    public void Mismatched_lengths_throw()
    {
        Assert.Throws<ArgumentException>(() => Sigmoid.Forward<float>(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Gelu.Backward<float>(new float[3], new float[3], new float[3], new float[2]));
    }
}
