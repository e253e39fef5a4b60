using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class LayerNormTests
{
    private const double Epsilon = 1e-5;

    public static TheoryData<int, int> Shapes() => NormReference.Shapes();

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_AddForward_match_double_reference(int batch, int features)
    {
        Check<float>(batch, features);
        Check<double>(batch, features);

        static void Check<T>(int batch, int features) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 97 + features);
            // A mean of 2.5 next to a spread of 1 exercises the variance for cancellation.
            T[] x = NormReference.Random<T>(random, batch * features, offset: 2.5), branch = NormReference.Random<T>(random, batch * features);
            T[] gamma = NormReference.Random<T>(random, features, offset: 1), beta = NumericAssert.Random<T>(random, features);
            T scale = T.CreateTruncating(0.75), epsilon = T.CreateTruncating(Epsilon);
            double[] X = NumericAssert.ToDouble<T>(x), G = NumericAssert.ToDouble<T>(gamma), Bt = NumericAssert.ToDouble<T>(beta);
            string shape = $"<{typeof(T).Name}> batch={batch} features={features}";

            var expected = NormReference.LayerNorm(X, G, Bt, batch, features, Epsilon);
            T[] y = NumericAssert.Random<T>(random, batch * features), mean = new T[batch], rstd = new T[batch];
            LayerNorm.Forward<T>(y, mean, rstd, x, gamma, beta, batch, features, epsilon);
            NumericAssert.Close<T>(expected.Y, y, "LayerNorm.Forward y" + shape);
            NumericAssert.Close<T>(expected.Mean, mean, "LayerNorm.Forward mean" + shape);
            NumericAssert.Close<T>(expected.Rstd, rstd, "LayerNorm.Forward rstd" + shape);

            double[] expectedSum = NormReference.Add(X, NumericAssert.ToDouble<T>(branch), double.CreateTruncating(scale));
            var expectedAdd = NormReference.LayerNorm(expectedSum, G, Bt, batch, features, Epsilon);
            T[] sum = new T[batch * features];
            LayerNorm.AddForward<T>(sum, y, mean, rstd, x, branch, scale, gamma, beta, batch, features, epsilon);
            NumericAssert.Close<T>(expectedSum, sum, "LayerNorm.AddForward sum" + shape);
            NumericAssert.Close<T>(expectedAdd.Y, y, "LayerNorm.AddForward y" + shape);
            NumericAssert.Close<T>(expectedAdd.Mean, mean, "LayerNorm.AddForward mean" + shape);
            NumericAssert.Close<T>(expectedAdd.Rstd, rstd, "LayerNorm.AddForward rstd" + shape);

            // The fused kernel equals Residual.Add followed by Forward.
            T[] separateSum = new T[batch * features], separateY = new T[batch * features], separateMean = new T[batch], separateRstd = new T[batch];
            Residual.Add<T>(separateSum, x, branch, scale);
            LayerNorm.Forward<T>(separateY, separateMean, separateRstd, separateSum, gamma, beta, batch, features, epsilon);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateSum), sum, "LayerNorm.AddForward sum vs Add" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateY), y, "LayerNorm.AddForward y vs Add then Forward" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateMean), mean, "LayerNorm.AddForward mean vs Add then Forward" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateRstd), rstd, "LayerNorm.AddForward rstd vs Add then Forward" + shape);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_matches_finite_differences(int batch, int features)
    {
        var random = new Random(batch * 31 + features);
        double[] x = NormReference.Random<double>(random, batch * features, offset: 1.5), gamma = NormReference.Random<double>(random, features, offset: 1);
        double[] beta = NumericAssert.Random<double>(random, features), g = NumericAssert.Random<double>(random, batch * features);
        double Loss()
        {
            var y = new double[batch * features];
            LayerNorm.Forward<double>(y, new double[batch], new double[batch], x, gamma, beta, batch, features, Epsilon);
            return NormReference.Dot(g, y);
        }

        double[] mean = new double[batch], rstd = new double[batch], y = new double[batch * features];
        LayerNorm.Forward<double>(y, mean, rstd, x, gamma, beta, batch, features, Epsilon);
        double[] dx = NumericAssert.Random<double>(random, batch * features); // overwritten
        double[] dgamma0 = NumericAssert.Random<double>(random, features), dbeta0 = NumericAssert.Random<double>(random, features);
        double[] dgamma = (double[])dgamma0.Clone(), dbeta = (double[])dbeta0.Clone();
        LayerNorm.Backward<double>(dx, dgamma, dbeta, g, x, mean, rstd, gamma, batch, features);

        string shape = $" batch={batch} features={features}";
        GradientCheck.AgainstFiniteDifferencesNormwise(x, dx, Loss, "LayerNorm.Backward dx" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(gamma, NormReference.Minus(dgamma, dgamma0), Loss, "LayerNorm.Backward dgamma (accumulated)" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(beta, NormReference.Minus(dbeta, dbeta0), Loss, "LayerNorm.Backward dbeta (accumulated)" + shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddBackward_matches_finite_differences_with_gradient_arriving_through_the_skip(int batch, int features)
    {
        // L = Σ g ⊙ LayerNorm(sum) + Σ h ⊙ sum, sum = residual + α·branch: h is what the skip path delivers to sum.
        const double scale = 0.6;
        var random = new Random(batch * 53 + features);
        double[] residual = NormReference.Random<double>(random, batch * features, offset: -1), branch = NumericAssert.Random<double>(random, batch * features);
        double[] gamma = NormReference.Random<double>(random, features, offset: 1), beta = NumericAssert.Random<double>(random, features);
        double[] g = NumericAssert.Random<double>(random, batch * features), h = NumericAssert.Random<double>(random, batch * features);
        double Loss()
        {
            double[] s = new double[batch * features], y = new double[batch * features];
            LayerNorm.AddForward<double>(s, y, new double[batch], new double[batch], residual, branch, scale, gamma, beta, batch, features, Epsilon);
            return NormReference.Dot(g, y) + NormReference.Dot(h, s);
        }

        double[] sum = new double[batch * features], yOut = new double[batch * features], mean = new double[batch], rstd = new double[batch];
        LayerNorm.AddForward<double>(sum, yOut, mean, rstd, residual, branch, scale, gamma, beta, batch, features, Epsilon);
        double[] dsum = (double[])h.Clone();
        double[] dgamma = new double[features], dbeta = new double[features];
        LayerNorm.AddBackward<double>(dsum, dgamma, dbeta, g, sum, mean, rstd, gamma, batch, features);

        string shape = $" batch={batch} features={features}";
        GradientCheck.AgainstFiniteDifferencesNormwise(residual, dsum, Loss, "LayerNorm.AddBackward dsum = dL/dresidual" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(gamma, dgamma, Loss, "LayerNorm.AddBackward dgamma" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(beta, dbeta, Loss, "LayerNorm.AddBackward dbeta" + shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddBackward_is_Backward_plus_the_incoming_gradient_and_float_follows_double(int batch, int features)
    {
        Check<float>(batch, features);
        Check<double>(batch, features);

        static void Check<T>(int batch, int features) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 7 + features);
            T[] x = NormReference.Random<T>(random, batch * features, offset: 0.5), gamma = NormReference.Random<T>(random, features, offset: 1);
            T[] beta = NumericAssert.Random<T>(random, features), dy = NumericAssert.Random<T>(random, batch * features), incoming = NumericAssert.Random<T>(random, batch * features);
            T[] y = new T[batch * features], mean = new T[batch], rstd = new T[batch];
            T epsilon = T.CreateTruncating(Epsilon);
            LayerNorm.Forward<T>(y, mean, rstd, x, gamma, beta, batch, features, epsilon);

            T[] dx = new T[batch * features], dgamma = new T[features], dbeta = new T[features];
            LayerNorm.Backward<T>(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, batch, features);
            T[] dsum = (T[])incoming.Clone(), addDgamma = new T[features], addDbeta = new T[features];
            LayerNorm.AddBackward<T>(dsum, addDgamma, addDbeta, dy, x, mean, rstd, gamma, batch, features);

            string shape = $"<{typeof(T).Name}> batch={batch} features={features}";
            double[] expected = NumericAssert.ToDouble<T>(dx);
            for (int i = 0; i < expected.Length; i++) expected[i] += double.CreateTruncating(incoming[i]);
            NumericAssert.Close<T>(expected, dsum, "LayerNorm.AddBackward dsum vs Backward + incoming" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(dgamma), addDgamma, "LayerNorm.AddBackward dgamma vs Backward" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(dbeta), addDbeta, "LayerNorm.AddBackward dbeta vs Backward" + shape);

            // The same gradients in double, from the same (rounded) inputs.
            double[] X = NumericAssert.ToDouble<T>(x), G = NumericAssert.ToDouble<T>(gamma);
            double[] dY = NumericAssert.ToDouble<T>(dy), dmean = new double[batch], drstd = new double[batch], ddx = new double[batch * features];
            double[] ddgamma = new double[features], ddbeta = new double[features];
            LayerNorm.Forward<double>(new double[batch * features], dmean, drstd, X, G, NumericAssert.ToDouble<T>(beta), batch, features, Epsilon);
            LayerNorm.Backward<double>(ddx, ddgamma, ddbeta, dY, X, dmean, drstd, G, batch, features);
            NumericAssert.Close<T>(ddx, dx, 1e-4, 1e-3, "LayerNorm.Backward dx vs double" + shape);
            NumericAssert.Close<T>(ddgamma, dgamma, 1e-4, 1e-3, "LayerNorm.Backward dgamma vs double" + shape);
            NumericAssert.Close<T>(ddbeta, dbeta, 1e-4, 1e-3, "LayerNorm.Backward dbeta vs double" + shape);
        }
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_argument()
    {
        var error = Assert.Throws<ArgumentException>(() => LayerNorm.Forward<float>(new float[6], new float[2], new float[2], new float[6], new float[3], new float[2], 2, 3, 1e-5f));
        Assert.Equal("beta", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => LayerNorm.Forward<float>(new float[6], new float[3], new float[2], new float[6], new float[3], new float[3], 2, 3, 1e-5f));
        Assert.Equal("mean", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => LayerNorm.AddForward<float>(new float[6], new float[6], new float[2], new float[2], new float[6], new float[5], 1f, new float[3], new float[3], 2, 3, 1e-5f));
        Assert.Equal("branch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => LayerNorm.AddBackward<float>(new float[5], new float[3], new float[3], new float[6], new float[6], new float[2], new float[2], new float[3], 2, 3));
        Assert.Equal("dsum", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerNorm.Forward<float>([], [], [], [], [], [], 0, 0, 1e-5f));
    }
}
