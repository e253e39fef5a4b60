using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class RmsNormTests
{
    private const double Epsilon = 1e-6;

    public static TheoryData<int, int> Shapes() => NormReference.Shapes();

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_AddForward_match_double_reference(int batch, int features)
    {
        Check<float>(batch, features);
        Check<double>(batch, features);

        static void Check<T>(int batch, int features) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 89 + features);
            T[] x = NormReference.Random<T>(random, batch * features, offset: 0.5), branch = NumericAssert.Random<T>(random, batch * features);
            T[] gamma = NormReference.Random<T>(random, features, offset: 1);
            T scale = T.CreateTruncating(1.25), epsilon = T.CreateTruncating(Epsilon);
            double[] X = NumericAssert.ToDouble<T>(x), G = NumericAssert.ToDouble<T>(gamma);
            string shape = $"<{typeof(T).Name}> batch={batch} features={features}";

            var expected = NormReference.RmsNorm(X, G, batch, features, Epsilon);
            T[] y = NumericAssert.Random<T>(random, batch * features), rstd = new T[batch];
            RmsNorm.Forward<T>(y, rstd, x, gamma, batch, features, epsilon);
            NumericAssert.Close<T>(expected.Y, y, "RmsNorm.Forward y" + shape);
            NumericAssert.Close<T>(expected.Rstd, rstd, "RmsNorm.Forward rstd" + shape);

            double[] expectedSum = NormReference.Add(X, NumericAssert.ToDouble<T>(branch), double.CreateTruncating(scale));
            var expectedAdd = NormReference.RmsNorm(expectedSum, G, batch, features, Epsilon);
            T[] sum = new T[batch * features];
            RmsNorm.AddForward<T>(sum, y, rstd, x, branch, scale, gamma, batch, features, epsilon);
            NumericAssert.Close<T>(expectedSum, sum, "RmsNorm.AddForward sum" + shape);
            NumericAssert.Close<T>(expectedAdd.Y, y, "RmsNorm.AddForward y" + shape);
            NumericAssert.Close<T>(expectedAdd.Rstd, rstd, "RmsNorm.AddForward rstd" + shape);

            T[] separateSum = new T[batch * features], separateY = new T[batch * features], separateRstd = new T[batch];
            Residual.Add<T>(separateSum, x, branch, scale);
            RmsNorm.Forward<T>(separateY, separateRstd, separateSum, gamma, batch, features, epsilon);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateSum), sum, "RmsNorm.AddForward sum vs Add" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateY), y, "RmsNorm.AddForward y vs Add then Forward" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateRstd), rstd, "RmsNorm.AddForward rstd vs Add then Forward" + shape);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_matches_finite_differences(int batch, int features)
    {
        var random = new Random(batch * 37 + features);
        double[] x = NormReference.Random<double>(random, batch * features, offset: 0.3), gamma = NormReference.Random<double>(random, features, offset: 1);
        double[] g = NumericAssert.Random<double>(random, batch * features);
        double Loss()
        {
            var y = new double[batch * features];
            RmsNorm.Forward<double>(y, new double[batch], x, gamma, batch, features, Epsilon);
            return NormReference.Dot(g, y);
        }

        double[] rstd = new double[batch], y = new double[batch * features];
        RmsNorm.Forward<double>(y, rstd, x, gamma, batch, features, Epsilon);
        double[] dx = NumericAssert.Random<double>(random, batch * features); // overwritten
        double[] dgamma0 = NumericAssert.Random<double>(random, features), dgamma = (double[])dgamma0.Clone();
        RmsNorm.Backward<double>(dx, dgamma, g, x, rstd, gamma, batch, features);

        string shape = $" batch={batch} features={features}";
        GradientCheck.AgainstFiniteDifferencesNormwise(x, dx, Loss, "RmsNorm.Backward dx" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(gamma, NormReference.Minus(dgamma, dgamma0), Loss, "RmsNorm.Backward dgamma (accumulated)" + shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddBackward_matches_finite_differences_with_gradient_arriving_through_the_skip(int batch, int features)
    {
        const double scale = -0.4;
        var random = new Random(batch * 59 + features);
        double[] residual = NormReference.Random<double>(random, batch * features, offset: 0.7), branch = NumericAssert.Random<double>(random, batch * features);
        double[] gamma = NormReference.Random<double>(random, features, offset: 1);
        double[] g = NumericAssert.Random<double>(random, batch * features), h = NumericAssert.Random<double>(random, batch * features);
        double Loss()
        {
            double[] s = new double[batch * features], y = new double[batch * features];
            RmsNorm.AddForward<double>(s, y, new double[batch], residual, branch, scale, gamma, batch, features, Epsilon);
            return NormReference.Dot(g, y) + NormReference.Dot(h, s);
        }

        double[] sum = new double[batch * features], yOut = new double[batch * features], rstd = new double[batch];
        RmsNorm.AddForward<double>(sum, yOut, rstd, residual, branch, scale, gamma, batch, features, Epsilon);
        double[] dsum = (double[])h.Clone(), dgamma = new double[features];
        RmsNorm.AddBackward<double>(dsum, dgamma, g, sum, rstd, gamma, batch, features);

        string shape = $" batch={batch} features={features}";
        GradientCheck.AgainstFiniteDifferencesNormwise(residual, dsum, Loss, "RmsNorm.AddBackward dsum = dL/dresidual" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(gamma, dgamma, Loss, "RmsNorm.AddBackward dgamma" + shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddBackward_is_Backward_plus_the_incoming_gradient_and_float_follows_double(int batch, int features)
    {
        Check<float>(batch, features);
        Check<double>(batch, features);

        static void Check<T>(int batch, int features) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 11 + features);
            T[] x = NormReference.Random<T>(random, batch * features, offset: 0.5), gamma = NormReference.Random<T>(random, features, offset: 1);
            T[] dy = NumericAssert.Random<T>(random, batch * features), incoming = NumericAssert.Random<T>(random, batch * features);
            T[] y = new T[batch * features], rstd = new T[batch];
            T epsilon = T.CreateTruncating(Epsilon);
            RmsNorm.Forward<T>(y, rstd, x, gamma, batch, features, epsilon);

            T[] dx = new T[batch * features], dgamma = new T[features];
            RmsNorm.Backward<T>(dx, dgamma, dy, x, rstd, gamma, batch, features);
            T[] dsum = (T[])incoming.Clone(), addDgamma = new T[features];
            RmsNorm.AddBackward<T>(dsum, addDgamma, dy, x, rstd, gamma, batch, features);

            string shape = $"<{typeof(T).Name}> batch={batch} features={features}";
            double[] expected = NumericAssert.ToDouble<T>(dx);
            for (int i = 0; i < expected.Length; i++) expected[i] += double.CreateTruncating(incoming[i]);
            NumericAssert.Close<T>(expected, dsum, "RmsNorm.AddBackward dsum vs Backward + incoming" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(dgamma), addDgamma, "RmsNorm.AddBackward dgamma vs Backward" + shape);

            double[] X = NumericAssert.ToDouble<T>(x), G = NumericAssert.ToDouble<T>(gamma), dY = NumericAssert.ToDouble<T>(dy);
            double[] drstd = new double[batch], ddx = new double[batch * features], ddgamma = new double[features];
            RmsNorm.Forward<double>(new double[batch * features], drstd, X, G, batch, features, Epsilon);
            RmsNorm.Backward<double>(ddx, ddgamma, dY, X, drstd, G, batch, features);
            NumericAssert.Close<T>(ddx, dx, 1e-4, 1e-3, "RmsNorm.Backward dx vs double" + shape);
            NumericAssert.Close<T>(ddgamma, dgamma, 1e-4, 1e-3, "RmsNorm.Backward dgamma vs double" + shape);
        }
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_argument()
    {
        var error = Assert.Throws<ArgumentException>(() => RmsNorm.Forward<float>(new float[6], new float[2], new float[6], new float[2], 2, 3, 1e-6f));
        Assert.Equal("gamma", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => RmsNorm.Backward<float>(new float[6], new float[3], new float[6], new float[6], new float[1], new float[3], 2, 3));
        Assert.Equal("rstd", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => RmsNorm.AddForward<float>(new float[5], new float[6], new float[2], new float[6], new float[6], 1f, new float[3], 2, 3, 1e-6f));
        Assert.Equal("sum", error.ParamName);
    }
}
