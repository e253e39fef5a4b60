using System;
using System.Numerics;

namespace ChainRule.Tests.Kernels;

/// <summary>Naive double-precision normalization layers, written from PyTorch's formulas with two-pass statistics.</summary>
internal static class NormReference
{
    /// <summary>Batch and feature counts that reach every vector tail: 1, 3, 7, 17, 33, 65 features, odd and even batches.</summary>
    public static Xunit.TheoryData<int, int> Shapes() => new()
    {
        { 1, 1 }, { 2, 3 }, { 3, 7 }, { 5, 17 }, { 2, 33 }, { 3, 65 }, { 8, 16 },
    };

    /// <summary><c>torch.nn.LayerNorm</c>: per row, biased variance.</summary>
    public static (double[] Y, double[] Mean, double[] Rstd) LayerNorm(double[] x, double[] gamma, double[] beta, int batch, int features, double epsilon)
    {
        var y = new double[batch * features];
        var mean = new double[batch];
        var rstd = new double[batch];
        for (int s = 0; s < batch; s++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < features; i++) m += x[s * features + i];
            m /= features;
            for (int i = 0; i < features; i++) v += (x[s * features + i] - m) * (x[s * features + i] - m);
            v /= features;
            mean[s] = m;
            rstd[s] = 1 / Math.Sqrt(v + epsilon);
            for (int i = 0; i < features; i++)
                y[s * features + i] = (x[s * features + i] - m) * rstd[s] * gamma[i] + beta[i];
        }
        return (y, mean, rstd);
    }

    /// <summary><c>torch.nn.RMSNorm</c>: <c>x / √(mean(x²) + ε) · γ</c>.</summary>
    public static (double[] Y, double[] Rstd) RmsNorm(double[] x, double[] gamma, int batch, int features, double epsilon)
    {
        var y = new double[batch * features];
        var rstd = new double[batch];
        for (int s = 0; s < batch; s++)
        {
            double squares = 0;
            for (int i = 0; i < features; i++) squares += x[s * features + i] * x[s * features + i];
            rstd[s] = 1 / Math.Sqrt(squares / features + epsilon);
            for (int i = 0; i < features; i++)
                y[s * features + i] = x[s * features + i] * rstd[s] * gamma[i];
        }
        return (y, rstd);
    }

    /// <summary>
    /// <c>torch.nn.BatchNorm1d</c> in training mode: batch mean and biased variance normalize; the running statistics
    /// move by momentum with the unbiased variance.
    /// </summary>
    public static (double[] Y, double[] Mean, double[] Rstd) BatchNormTraining(double[] x, double[] gamma, double[] beta, double[] runningMean,
        double[] runningVariance, int batch, int features, double epsilon, double momentum)
    {
        var y = new double[batch * features];
        var mean = new double[features];
        var rstd = new double[features];
        for (int f = 0; f < features; f++)
        {
            double m = 0, v = 0;
            for (int s = 0; s < batch; s++) m += x[s * features + f];
            m /= batch;
            for (int s = 0; s < batch; s++) v += (x[s * features + f] - m) * (x[s * features + f] - m);
            double biased = v / batch, unbiased = v / (batch - 1);
            mean[f] = m;
            rstd[f] = 1 / Math.Sqrt(biased + epsilon);
            runningMean[f] = (1 - momentum) * runningMean[f] + momentum * m;
            runningVariance[f] = (1 - momentum) * runningVariance[f] + momentum * unbiased;
            for (int s = 0; s < batch; s++)
                y[s * features + f] = (x[s * features + f] - m) * rstd[f] * gamma[f] + beta[f];
        }
        return (y, mean, rstd);
    }

    /// <summary><c>torch.nn.BatchNorm1d</c> in eval mode: the running statistics normalize.</summary>
    public static double[] BatchNormInference(double[] x, double[] runningMean, double[] runningVariance, double[] gamma, double[] beta,
        int batch, int features, double epsilon)
    {
        var y = new double[batch * features];
        for (int s = 0; s < batch; s++)
            for (int f = 0; f < features; f++)
                y[s * features + f] = (x[s * features + f] - runningMean[f]) / Math.Sqrt(runningVariance[f] + epsilon) * gamma[f] + beta[f];
        return y;
    }

    public static double[] Add(double[] residual, double[] branch, double scale)
    {
        var sum = new double[residual.Length];
        for (int i = 0; i < sum.Length; i++) sum[i] = residual[i] + scale * branch[i];
        return sum;
    }

    /// <summary><c>Σ_i g[i]·y[i]</c>: a loss whose gradient with respect to <c>y</c> is <c>g</c>.</summary>
    public static double Dot(ReadOnlySpan<double> g, ReadOnlySpan<double> y)
    {
        double total = 0;
        for (int i = 0; i < g.Length; i++) total += g[i] * y[i];
        return total;
    }

    /// <summary>Random values around <paramref name="offset"/>: a mean far from zero tests the statistics for cancellation.</summary>
    public static T[] Random<T>(Random random, int length, double scale = 1.0, double offset = 0.0)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
            values[i] = T.CreateTruncating(offset + (random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    public static double[] Minus(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var result = new double[a.Length];
        for (int i = 0; i < a.Length; i++) result[i] = a[i] - b[i];
        return result;
    }
}
