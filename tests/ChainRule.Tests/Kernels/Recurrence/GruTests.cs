using System;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels.Recurrence;

public class GruTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// One unit, two steps, a different weight and bias per gate: PyTorch's equations written out in gate order r, z,
    /// n, with the reset gate on <c>W_hn h + b_hn</c>. Other gate orders, and the original paper's
    /// <c>W_hn (r ⊙ h)</c> without <c>r</c> on <c>b_hn</c>, give a different h, which the test checks too.
    /// </summary>
    [Fact]
    public void Two_steps_of_one_unit_follow_pytorchs_equations_in_gate_order_r_z_n()
    {
        double[] wih = [0.5, -0.3, 0.8];   // r, z, n
        double[] whh = [0.1, 0.4, -0.6];
        double[] bih = [0.05, -0.1, 0.2];
        double[] bhh = [-0.2, 0.15, 0.35];
        double[] x = [1.0, -2.0];

        static double Step(double[] wih, double[] whh, double[] bih, double[] bhh, double x, double h, int[] order, bool resetOnBias)
        {
            int r0 = order[0], z0 = order[1], n0 = order[2];
            double r = Sigmoid(wih[r0] * x + bih[r0] + whh[r0] * h + bhh[r0]);
            double z = Sigmoid(wih[z0] * x + bih[z0] + whh[z0] * h + bhh[z0]);
            double n = Math.Tanh(wih[n0] * x + bih[n0] + (resetOnBias ? r * (whh[n0] * h + bhh[n0]) : whh[n0] * (r * h) + bhh[n0]));
            return (1 - z) * n + z * h;
        }

        double Run(int[] order, bool resetOnBias = true) => Step(wih, whh, bih, bhh, x[1], Step(wih, whh, bih, bhh, x[0], 0, order, resetOnBias), order, resetOnBias);

        double h0 = Step(wih, whh, bih, bhh, x[0], 0, [0, 1, 2], resetOnBias: true);
        double h1 = Run([0, 1, 2]);

        var y = new double[2];
        var cache = new double[Gru.CacheLength(1, 2, 1, 1)];
        Gru.Forward<double>(y, cache, x, wih, whh, bih, bhh, batch: 1, steps: 2, inputs: 1, hidden: 1, returnSequences: true);
        Assert.Equal(h0, y[0], 1e-15);
        Assert.Equal(h1, y[1], 1e-15);

        foreach (int[] wrong in new[] { new[] { 1, 0, 2 }, [0, 2, 1], [2, 1, 0] })
            Assert.True(Math.Abs(Run(wrong) - h1) > 1e-3, $"order [{string.Join(", ", wrong)}] would be indistinguishable");
        Assert.True(Math.Abs(Run([0, 1, 2], resetOnBias: false) - h1) > 1e-3, "the paper's reset placement would be indistinguishable");
    }
}
