using System;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels.Recurrence;

public class RnnTests
{
    /// <summary>Two units, three steps: <c>h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)</c> written out.</summary>
    [Theory]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.ReLU)]
    public void Three_steps_of_two_units_follow_pytorchs_equations(Activation activation)
    {
        double[] wih = [0.5, -0.3, 0.8, 0.2];     // (2, 2)
        double[] whh = [0.9, -0.4, 0.6, 0.7];     // (2, 2): mixing the units, so a transposed W_hh differs
        double[] bih = [0.05, -0.1];
        double[] bhh = [0.3, 0.15];
        double[] x = [1.0, -0.5, -2.0, 0.25, 0.5, 1.5];
        Func<double, double> act = activation == Activation.Tanh ? Math.Tanh : v => Math.Max(v, 0);

        double[] h = [0, 0];
        var expected = new double[6];
        for (int t = 0; t < 3; t++)
        {
            double x0 = x[2 * t], x1 = x[2 * t + 1];
            double h0 = act(wih[0] * x0 + wih[1] * x1 + bih[0] + whh[0] * h[0] + whh[1] * h[1] + bhh[0]);
            double h1 = act(wih[2] * x0 + wih[3] * x1 + bih[1] + whh[2] * h[0] + whh[3] * h[1] + bhh[1]);
            h = [h0, h1];
            expected[2 * t] = h0;
            expected[2 * t + 1] = h1;
        }

        var y = new double[6];
        var cache = new double[Rnn.CacheLength(1, 3, 2, 2)];
        Rnn.Forward<double>(y, cache, x, wih, whh, bih, bhh, batch: 1, steps: 3, inputs: 2, hidden: 2, activation, returnSequences: true);
        NumericAssert.Close<double>(expected, y, 1e-15, 0, $"RNN {activation}");
    }

    [Theory]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Identity)]
    [InlineData((Activation)99)]
    public void Activations_pytorch_does_not_allow_are_refused(Activation activation)
    {
        var y = new double[2];
        var cache = new double[Rnn.CacheLength(1, 1, 1, 2)];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Rnn.Forward<double>(y, cache, new double[1], new double[2], new double[4], default, default, 1, 1, 1, 2, activation, false));
        Assert.Equal("activation", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Rnn.Backward<double>(default, new double[2], new double[4], default, default, default, y, cache, new double[2], new double[4],
            1, 1, 1, 2, activation, false, 0));
    }
}
