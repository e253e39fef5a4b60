using System;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

/// <summary>
/// The length checks that a mutation run of the kernels found untested: each one span of the wrong length, refused by
/// its own check (the exception names that span and its shape) before anything is written.
/// </summary>
/// <remarks>
/// Without its check, each of these calls either read past the span (<c>Unsafe</c> loops do not bounds-check) or threw
/// a different exception from deeper inside, naming another parameter.
/// </remarks>
public class ShapeCheckTests
{
    private const int Batch = 3, Features = 4;

    private static double[] Filled(int length, double value = 0.25) => Array.ConvertAll(new double[length], _ => value);

    private static void AssertRefused(Action call, string parameterName, string shape, params double[][] outputs)
    {
        double[][] before = Array.ConvertAll(outputs, output => (double[])output.Clone());
        var error = Assert.Throws<ArgumentException>(call);
        Assert.Equal(parameterName, error.ParamName);
        Assert.Contains(shape, error.Message, StringComparison.Ordinal);
        for (int i = 0; i < outputs.Length; i++)
            Assert.Equal(before[i], outputs[i]);
    }

    [Fact]
    public void Gemm_refuses_an_a_of_the_wrong_length()
    {
        double[] c = Filled(2 * 3);
        AssertRefused(() => Gemm.MultiplyTransposed<double>(c, Filled(2 * 5 - 1), Filled(3 * 5), 2, 3, 5), "a", "(m, k)", c);
    }

    [Fact]
    public void BatchNorm_training_refuses_a_mean_of_the_wrong_length()
    {
        double[] y = Filled(Batch * Features), mean = Filled(Features - 1), rstd = Filled(Features);
        double[] runningMean = Filled(Features), runningVariance = Filled(Features, 1);
        AssertRefused(() => BatchNorm.ForwardTraining<double>(y, mean, rstd, runningMean, runningVariance, Filled(Batch * Features), Filled(Features, 1),
            Filled(Features), Batch, Features, 1e-5, 0.1), "mean", $"({Features})", y, mean, rstd, runningMean, runningVariance);
    }

    [Fact]
    public void BatchNorm_backward_refuses_a_dy_of_the_wrong_length()
    {
        double[] dx = Filled(Batch * Features), dgamma = Filled(Features), dbeta = Filled(Features);
        AssertRefused(() => BatchNorm.Backward<double>(dx, dgamma, dbeta, Filled(Batch * Features + 1), Filled(Batch * Features), Filled(Features),
            Filled(Features, 1), Filled(Features, 1), Batch, Features), "dy", "(batch, features)", dx, dgamma, dbeta);
    }

    [Fact]
    public void Softmax_refuses_logits_of_the_wrong_length()
    {
        double[] probabilities = Filled(Batch * Features);
        AssertRefused(() => SoftmaxCrossEntropy.Softmax<double>(probabilities, Filled(Batch * Features - 1), Batch, Features), "logits", "(batch, classes)", probabilities);
    }

    [Fact]
    public void Cross_entropy_over_part_of_a_batch_refuses_a_dlogits_of_the_wrong_length()
    {
        double[] dlogits = Filled(Batch * Features + 2);
        AssertRefused(() => SoftmaxCrossEntropy.ForwardBackward<double>(dlogits, Filled(Batch * Features), [0, 1, 2], Batch, Features, meanOver: 2 * Batch),
            "dlogits", $"(batch {Batch}, {Features})", dlogits);
    }

    [Fact]
    public void Residual_scale_backward_refuses_a_branch_of_the_wrong_length()
    {
        double[] dbranch = Filled(Features), dscale = Filled(1);
        AssertRefused(() => Residual.ScaleBackward<double>(dbranch, dscale, Filled(Features), Filled(Features + 1), 0.5), "branch", $"({Features}), like dbranch",
            dbranch, dscale);
    }

    [Theory]
    [InlineData(-1, Features, "batch")]
    [InlineData(Batch, 0, "features")]
    public void RmsNorm_refuses_sizes_out_of_range(int batch, int features, string parameterName)
    {
        // Spans sized for the (out-of-range) sizes, so that only the size check can refuse them.
        int rows = Math.Max(batch, 0);
        double[] y = Filled(rows * features), rstd = Filled(rows);
        var error = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => RmsNorm.Forward<double>(y, rstd, Filled(rows * features), Filled(features, 1), batch, features, 1e-6));
        Assert.Equal(parameterName, error.ParamName);
    }
}
