using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class BatchNormTests
{
    private const double Epsilon = 1e-5, Momentum = 0.1;

    /// <summary>Batches of at least 2 (training), odd and even (the row loop takes two rows at a time); features reach every tail.</summary>
    public static TheoryData<int, int> Shapes() => new()
    {
        { 2, 1 }, { 3, 3 }, { 5, 7 }, { 2, 17 }, { 7, 33 }, { 4, 65 }, { 8, 16 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardTraining_and_AddForwardTraining_match_double_reference(int batch, int features)
    {
        Check<float>(batch, features);
        Check<double>(batch, features);

        static void Check<T>(int batch, int features) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 101 + features);
            T[] x = NormReference.Random<T>(random, batch * features, offset: 2.5), branch = NumericAssert.Random<T>(random, batch * features);
            T[] gamma = NormReference.Random<T>(random, features, offset: 1), beta = NumericAssert.Random<T>(random, features);
            T[] runningMean0 = NumericAssert.Random<T>(random, features), runningVariance0 = NormReference.Random<T>(random, features, 0.5, 1);
            T scale = T.CreateTruncating(0.5), epsilon = T.CreateTruncating(Epsilon), momentum = T.CreateTruncating(Momentum);
            double[] X = NumericAssert.ToDouble<T>(x), G = NumericAssert.ToDouble<T>(gamma), Bt = NumericAssert.ToDouble<T>(beta);
            string shape = $"<{typeof(T).Name}> batch={batch} features={features}";

            double[] expectedRunningMean = NumericAssert.ToDouble<T>(runningMean0), expectedRunningVariance = NumericAssert.ToDouble<T>(runningVariance0);
            var expected = NormReference.BatchNormTraining(X, G, Bt, expectedRunningMean, expectedRunningVariance, batch, features, Epsilon, Momentum);
            T[] y = NumericAssert.Random<T>(random, batch * features), mean = new T[features], rstd = new T[features];
            T[] runningMean = (T[])runningMean0.Clone(), runningVariance = (T[])runningVariance0.Clone();
            BatchNorm.ForwardTraining<T>(y, mean, rstd, runningMean, runningVariance, x, gamma, beta, batch, features, epsilon, momentum);
            NumericAssert.Close<T>(expected.Y, y, "BatchNorm.ForwardTraining y" + shape);
            NumericAssert.Close<T>(expected.Mean, mean, "BatchNorm.ForwardTraining mean" + shape);
            NumericAssert.Close<T>(expected.Rstd, rstd, "BatchNorm.ForwardTraining rstd" + shape);
            NumericAssert.Close<T>(expectedRunningMean, runningMean, "BatchNorm.ForwardTraining runningMean" + shape);
            NumericAssert.Close<T>(expectedRunningVariance, runningVariance, "BatchNorm.ForwardTraining runningVariance" + shape);

            double[] expectedSum = NormReference.Add(X, NumericAssert.ToDouble<T>(branch), double.CreateTruncating(scale));
            expectedRunningMean = NumericAssert.ToDouble<T>(runningMean0);
            expectedRunningVariance = NumericAssert.ToDouble<T>(runningVariance0);
            var expectedAdd = NormReference.BatchNormTraining(expectedSum, G, Bt, expectedRunningMean, expectedRunningVariance, batch, features, Epsilon, Momentum);
            T[] sum = new T[batch * features];
            runningMean = (T[])runningMean0.Clone();
            runningVariance = (T[])runningVariance0.Clone();
            BatchNorm.AddForwardTraining<T>(sum, y, mean, rstd, runningMean, runningVariance, x, branch, scale, gamma, beta, batch, features, epsilon, momentum);
            NumericAssert.Close<T>(expectedSum, sum, "BatchNorm.AddForwardTraining sum" + shape);
            NumericAssert.Close<T>(expectedAdd.Y, y, "BatchNorm.AddForwardTraining y" + shape);
            NumericAssert.Close<T>(expectedAdd.Mean, mean, "BatchNorm.AddForwardTraining mean" + shape);
            NumericAssert.Close<T>(expectedAdd.Rstd, rstd, "BatchNorm.AddForwardTraining rstd" + shape);
            NumericAssert.Close<T>(expectedRunningMean, runningMean, "BatchNorm.AddForwardTraining runningMean" + shape);
            NumericAssert.Close<T>(expectedRunningVariance, runningVariance, "BatchNorm.AddForwardTraining runningVariance" + shape);

            // The fused kernel equals Residual.Add followed by ForwardTraining.
            T[] separateSum = new T[batch * features], separateY = new T[batch * features], separateMean = new T[features], separateRstd = new T[features];
            T[] separateRunningMean = (T[])runningMean0.Clone(), separateRunningVariance = (T[])runningVariance0.Clone();
            Residual.Add<T>(separateSum, x, branch, scale);
            BatchNorm.ForwardTraining<T>(separateY, separateMean, separateRstd, separateRunningMean, separateRunningVariance, separateSum, gamma, beta, batch, features, epsilon, momentum);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateSum), sum, "BatchNorm.AddForwardTraining sum vs Add" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateY), y, "BatchNorm.AddForwardTraining y vs Add then ForwardTraining" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateMean), mean, "BatchNorm.AddForwardTraining mean vs Add then ForwardTraining" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateRstd), rstd, "BatchNorm.AddForwardTraining rstd vs Add then ForwardTraining" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateRunningMean), runningMean, "BatchNorm.AddForwardTraining runningMean vs separate" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateRunningVariance), runningVariance, "BatchNorm.AddForwardTraining runningVariance vs separate" + shape);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardInference_and_AddForwardInference_match_double_reference(int batch, int features)
    {
        Check<float>(batch, features);
        Check<double>(batch, features);

        static void Check<T>(int batch, int features) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 103 + features);
            T[] x = NormReference.Random<T>(random, batch * features, offset: 1), branch = NumericAssert.Random<T>(random, batch * features);
            T[] gamma = NormReference.Random<T>(random, features, offset: 1), beta = NumericAssert.Random<T>(random, features);
            T[] runningMean = NumericAssert.Random<T>(random, features), runningVariance = NormReference.Random<T>(random, features, 0.5, 1);
            T scale = T.CreateTruncating(2), epsilon = T.CreateTruncating(Epsilon);
            double[] X = NumericAssert.ToDouble<T>(x), G = NumericAssert.ToDouble<T>(gamma), Bt = NumericAssert.ToDouble<T>(beta);
            double[] Rm = NumericAssert.ToDouble<T>(runningMean), Rv = NumericAssert.ToDouble<T>(runningVariance);
            string shape = $"<{typeof(T).Name}> batch={batch} features={features}";

            T[] y = NumericAssert.Random<T>(random, batch * features);
            BatchNorm.ForwardInference<T>(y, x, runningMean, runningVariance, gamma, beta, batch, features, epsilon);
            NumericAssert.Close<T>(NormReference.BatchNormInference(X, Rm, Rv, G, Bt, batch, features, Epsilon), y, "BatchNorm.ForwardInference y" + shape);

            double[] expectedSum = NormReference.Add(X, NumericAssert.ToDouble<T>(branch), double.CreateTruncating(scale));
            T[] sum = new T[batch * features];
            BatchNorm.AddForwardInference<T>(sum, y, x, branch, scale, runningMean, runningVariance, gamma, beta, batch, features, epsilon);
            NumericAssert.Close<T>(expectedSum, sum, "BatchNorm.AddForwardInference sum" + shape);
            NumericAssert.Close<T>(NormReference.BatchNormInference(expectedSum, Rm, Rv, G, Bt, batch, features, Epsilon), y, "BatchNorm.AddForwardInference y" + shape);

            T[] separateSum = new T[batch * features], separateY = new T[batch * features];
            Residual.Add<T>(separateSum, x, branch, scale);
            BatchNorm.ForwardInference<T>(separateY, separateSum, runningMean, runningVariance, gamma, beta, batch, features, epsilon);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(separateY), y, "BatchNorm.AddForwardInference y vs Add then ForwardInference" + shape);
        }
    }

    [Fact]
    public void ForwardInference_of_a_row_is_independent_of_the_other_rows()
    {
        const int batch = 5, features = 33;
        var random = new Random(5);
        float[] x = NumericAssert.Random<float>(random, batch * features), gamma = NormReference.Random<float>(random, features, offset: 1);
        float[] beta = NumericAssert.Random<float>(random, features), runningMean = NumericAssert.Random<float>(random, features);
        float[] runningVariance = NormReference.Random<float>(random, features, 0.5, 1);
        var y = new float[batch * features];
        BatchNorm.ForwardInference<float>(y, x, runningMean, runningVariance, gamma, beta, batch, features, 1e-5f);

        float[] other = NormReference.Random<float>(random, batch * features, 10, 5), otherY = new float[batch * features];
        for (int s = 0; s < batch; s++)
        {
            var row = new float[features];
            BatchNorm.ForwardInference<float>(row, x.AsSpan(s * features, features), runningMean, runningVariance, gamma, beta, 1, features, 1e-5f);
            Assert.Equal(y.AsSpan(s * features, features).ToArray(), row);

            // The same row among different neighbours.
            x.AsSpan(s * features, features).CopyTo(other.AsSpan(s * features));
            BatchNorm.ForwardInference<float>(otherY, other, runningMean, runningVariance, gamma, beta, batch, features, 1e-5f);
            Assert.Equal(y.AsSpan(s * features, features).ToArray(), otherY.AsSpan(s * features, features).ToArray());
        }
    }

    [Fact]
    public void Running_statistics_follow_the_momentum_formula_with_the_unbiased_variance()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int batch = 6, features = 19, steps = 3;
            var random = new Random(19);
            T[] gamma = NormReference.Random<T>(random, features, offset: 1), beta = NumericAssert.Random<T>(random, features);
            // PyTorch's initial running statistics: mean 0, variance 1.
            T[] runningMean = new T[features], runningVariance = new T[features];
            Array.Fill(runningVariance, T.One);
            double[] expectedMean = new double[features], expectedVariance = new double[features];
            Array.Fill(expectedVariance, 1.0);
            T[] y = new T[batch * features], mean = new T[features], rstd = new T[features];
            for (int step = 0; step < steps; step++)
            {
                T[] x = NormReference.Random<T>(random, batch * features, 2, step);
                BatchNorm.ForwardTraining<T>(y, mean, rstd, runningMean, runningVariance, x, gamma, beta, batch, features,
                    T.CreateTruncating(Epsilon), T.CreateTruncating(Momentum));
                for (int f = 0; f < features; f++)
                {
                    double m = 0, squares = 0;
                    for (int s = 0; s < batch; s++) m += double.CreateTruncating(x[s * features + f]);
                    m /= batch;
                    for (int s = 0; s < batch; s++) squares += Math.Pow(double.CreateTruncating(x[s * features + f]) - m, 2);
                    expectedMean[f] = 0.9 * expectedMean[f] + 0.1 * m;
                    expectedVariance[f] = 0.9 * expectedVariance[f] + 0.1 * squares / (batch - 1); // unbiased
                }
            }
            NumericAssert.Close<T>(expectedMean, runningMean, $"<{typeof(T).Name}> runningMean after {steps} steps");
            NumericAssert.Close<T>(expectedVariance, runningVariance, $"<{typeof(T).Name}> runningVariance after {steps} steps");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_through_the_batch_statistics_matches_finite_differences(int batch, int features)
    {
        var random = new Random(batch * 41 + features);
        double[] x = NormReference.Random<double>(random, batch * features, offset: 1.5), gamma = NormReference.Random<double>(random, features, offset: 1);
        double[] beta = NumericAssert.Random<double>(random, features), g = NumericAssert.Random<double>(random, batch * features);
        double Loss()
        {
            var y = new double[batch * features];
            BatchNorm.ForwardTraining<double>(y, new double[features], new double[features], new double[features], new double[features], x, gamma, beta,
                batch, features, Epsilon, Momentum);
            return NormReference.Dot(g, y);
        }

        double[] mean = new double[features], rstd = new double[features], y = new double[batch * features];
        BatchNorm.ForwardTraining<double>(y, mean, rstd, new double[features], new double[features], x, gamma, beta, batch, features, Epsilon, Momentum);
        double[] dx = NumericAssert.Random<double>(random, batch * features); // overwritten
        double[] dgamma0 = NumericAssert.Random<double>(random, features), dbeta0 = NumericAssert.Random<double>(random, features);
        double[] dgamma = (double[])dgamma0.Clone(), dbeta = (double[])dbeta0.Clone();
        BatchNorm.Backward<double>(dx, dgamma, dbeta, g, x, mean, rstd, gamma, batch, features);

        string shape = $" batch={batch} features={features}";
        GradientCheck.AgainstFiniteDifferencesNormwise(x, dx, Loss, "BatchNorm.Backward dx" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(gamma, NormReference.Minus(dgamma, dgamma0), Loss, "BatchNorm.Backward dgamma (accumulated)" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(beta, NormReference.Minus(dbeta, dbeta0), Loss, "BatchNorm.Backward dbeta (accumulated)" + shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddBackward_matches_finite_differences_with_gradient_arriving_through_the_skip(int batch, int features)
    {
        const double scale = 0.8;
        var random = new Random(batch * 61 + features);
        double[] residual = NormReference.Random<double>(random, batch * features, offset: -2), branch = NumericAssert.Random<double>(random, batch * features);
        double[] gamma = NormReference.Random<double>(random, features, offset: 1), beta = NumericAssert.Random<double>(random, features);
        double[] g = NumericAssert.Random<double>(random, batch * features), h = NumericAssert.Random<double>(random, batch * features);
        double Loss()
        {
            double[] s = new double[batch * features], y = new double[batch * features];
            BatchNorm.AddForwardTraining<double>(s, y, new double[features], new double[features], new double[features], new double[features],
                residual, branch, scale, gamma, beta, batch, features, Epsilon, Momentum);
            return NormReference.Dot(g, y) + NormReference.Dot(h, s);
        }

        double[] sum = new double[batch * features], yOut = new double[batch * features], mean = new double[features], rstd = new double[features];
        BatchNorm.AddForwardTraining<double>(sum, yOut, mean, rstd, new double[features], new double[features], residual, branch, scale, gamma, beta,
            batch, features, Epsilon, Momentum);
        double[] dsum = (double[])h.Clone(), dgamma = new double[features], dbeta = new double[features];
        BatchNorm.AddBackward<double>(dsum, dgamma, dbeta, g, sum, mean, rstd, gamma, batch, features);

        string shape = $" batch={batch} features={features}";
        GradientCheck.AgainstFiniteDifferencesNormwise(residual, dsum, Loss, "BatchNorm.AddBackward dsum = dL/dresidual" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(gamma, dgamma, Loss, "BatchNorm.AddBackward dgamma" + shape);
        GradientCheck.AgainstFiniteDifferencesNormwise(beta, dbeta, Loss, "BatchNorm.AddBackward dbeta" + shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddBackward_is_Backward_plus_the_incoming_gradient_and_float_follows_double(int batch, int features)
    {
        Check<float>(batch, features);
        Check<double>(batch, features);

        static void Check<T>(int batch, int features) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 13 + features);
            T[] x = NormReference.Random<T>(random, batch * features, offset: 0.5), gamma = NormReference.Random<T>(random, features, offset: 1);
            T[] beta = NumericAssert.Random<T>(random, features), dy = NumericAssert.Random<T>(random, batch * features), incoming = NumericAssert.Random<T>(random, batch * features);
            T[] y = new T[batch * features], mean = new T[features], rstd = new T[features];
            T epsilon = T.CreateTruncating(Epsilon), momentum = T.CreateTruncating(Momentum);
            BatchNorm.ForwardTraining<T>(y, mean, rstd, new T[features], new T[features], x, gamma, beta, batch, features, epsilon, momentum);

            T[] dx = new T[batch * features], dgamma = new T[features], dbeta = new T[features];
            BatchNorm.Backward<T>(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, batch, features);
            T[] dsum = (T[])incoming.Clone(), addDgamma = new T[features], addDbeta = new T[features];
            BatchNorm.AddBackward<T>(dsum, addDgamma, addDbeta, dy, x, mean, rstd, gamma, batch, features);

            string shape = $"<{typeof(T).Name}> batch={batch} features={features}";
            double[] expected = NumericAssert.ToDouble<T>(dx);
            for (int i = 0; i < expected.Length; i++) expected[i] += double.CreateTruncating(incoming[i]);
            NumericAssert.Close<T>(expected, dsum, "BatchNorm.AddBackward dsum vs Backward + incoming" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(dgamma), addDgamma, "BatchNorm.AddBackward dgamma vs Backward" + shape);
            NumericAssert.Close<T>(NumericAssert.ToDouble<T>(dbeta), addDbeta, "BatchNorm.AddBackward dbeta vs Backward" + shape);

            double[] X = NumericAssert.ToDouble<T>(x), G = NumericAssert.ToDouble<T>(gamma), dY = NumericAssert.ToDouble<T>(dy);
            double[] dmean = new double[features], drstd = new double[features], ddx = new double[batch * features];
            double[] ddgamma = new double[features], ddbeta = new double[features];
            BatchNorm.ForwardTraining<double>(new double[batch * features], dmean, drstd, new double[features], new double[features], X, G,
                NumericAssert.ToDouble<T>(beta), batch, features, Epsilon, Momentum);
            BatchNorm.Backward<double>(ddx, ddgamma, ddbeta, dY, X, dmean, drstd, G, batch, features);
            // Two samples per feature can make σ small: compare float with double at float's precision of the worst case.
            NumericAssert.Close<T>(ddx, dx, 1e-3, 1e-3, "BatchNorm.Backward dx vs double" + shape);
            NumericAssert.Close<T>(ddgamma, dgamma, 1e-4, 1e-3, "BatchNorm.Backward dgamma vs double" + shape);
            NumericAssert.Close<T>(ddbeta, dbeta, 1e-4, 1e-3, "BatchNorm.Backward dbeta vs double" + shape);
        }
    }

    [Fact]
    public void Training_with_one_sample_per_feature_throws_naming_the_batch()
    {
        float[] one = new float[3], row = new float[3];
        var error = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTraining<float>(row, new float[3], new float[3], new float[3], new float[3], one, one, one, 1, 3, 1e-5f, 0.1f));
        Assert.Equal("batch", error.ParamName);
        Assert.Contains("more than 1 value per feature", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.AddForwardTraining<float>(new float[3], row, new float[3], new float[3], new float[3], new float[3], one, one, 1f, one, one, 1, 3, 1e-5f, 0.1f));
        Assert.Equal("batch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.Backward<float>(row, new float[3], new float[3], one, one, one, one, one, 1, 3));
        Assert.Equal("batch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.AddBackward<float>(row, new float[3], new float[3], one, one, one, one, one, 1, 3));
        Assert.Equal("batch", error.ParamName);

        // Inference normalizes with running statistics: one sample is fine.
        BatchNorm.ForwardInference<float>(row, [1f, 2f, 3f], new float[3], [1f, 1f, 1f], [1f, 1f, 1f], new float[3], 1, 3, 0f);
        Assert.Equal([1f, 2f, 3f], row);
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_argument()
    {
        var error = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTraining<float>(new float[6], new float[3], new float[3], new float[2], new float[3], new float[6], new float[3], new float[3], 2, 3, 1e-5f, 0.1f));
        Assert.Equal("runningMean", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardInference<float>(new float[6], new float[6], new float[3], new float[3], new float[3], new float[4], 2, 3, 1e-5f));
        Assert.Equal("beta", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.Backward<float>(new float[6], new float[3], new float[3], new float[6], new float[6], new float[2], new float[3], new float[3], 2, 3));
        Assert.Equal("mean", error.ParamName);
    }
}
