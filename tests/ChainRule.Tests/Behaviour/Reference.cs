using System;
using ChainRule.Kernels;
using ChainRule.Tests.Kernels;
using Xunit;

namespace ChainRule.Tests.Behaviour;

/// <summary>A dense layer's parameters copied out of a model, for the plain double reference below.</summary>
internal sealed record DenseReference(double[] Weights, double[] Bias, int Inputs, int Outputs, Func<double, double> Activation)
{
    public static DenseReference Of(DenseLayer<float> layer, Func<double, double> activation) =>
        new(NumericAssert.ToDouble<float>(layer.Weights), NumericAssert.ToDouble<float>(layer.Bias), layer.Inputs, layer.Outputs, activation);

    public static DenseReference Of(DenseLayer<double> layer, Func<double, double> activation) =>
        new(layer.Weights.ToArray(), layer.Bias.ToArray(), layer.Inputs, layer.Outputs, activation);

    /// <summary><c>y = x Wᵀ + b</c> in double, one dot product at a time, in index order.</summary>
    public double[] PreActivation(double[] x, int batch)
    {
        var y = new double[batch * Outputs];
        for (int s = 0; s < batch; s++)
            for (int o = 0; o < Outputs; o++)
            {
                double sum = Bias[o];
                for (int i = 0; i < Inputs; i++)
                    sum += x[s * Inputs + i] * Weights[o * Inputs + i];
                y[s * Outputs + o] = sum;
            }
        return y;
    }

    public double[] Forward(double[] x, int batch) => Array.ConvertAll(PreActivation(x, batch), v => Activation(v));
}

internal static class Reference
{
    public static double Relu(double x) => Math.Max(x, 0);

    public static double Identity(double x) => x;

    /// <summary>The network's outputs in double, layer after layer.</summary>
    public static double[] Forward(double[] x, int batch, params DenseReference[] layers)
    {
        foreach (DenseReference layer in layers)
            x = layer.Forward(x, batch);
        return x;
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="Gemm.ThreadCount"/> set, restoring it after (tests that call this run in the "Worker pool" collection).</summary>
    public static void WithThreads(int threads, Action body)
    {
        int before = Gemm.ThreadCount;
        try
        {
            Gemm.ThreadCount = threads;
            body();
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
    }

    public static float[] RandomFloats(int seed, int length, double scale = 1) => NumericAssert.Random<float>(new Random(seed), length, scale);

    /// <summary>llm.c's check_tensor: every element within <c>absolute + relative·|expected|</c>, else the first differences and the worst.</summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double absolute, double relative, string label) =>
        NumericAssert.Close<float>(expected, actual, absolute, relative, label);

    public static void True(bool condition, string message) => Assert.True(condition, message);
}
