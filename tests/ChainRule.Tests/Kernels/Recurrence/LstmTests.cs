using System;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels.Recurrence;

public class LstmTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// One unit, two steps, a different weight, recurrent weight and bias for each gate: the equations written out,
    /// gate by gate in PyTorch's order i, f, g, o. Any other order (or i and f swapped, or g under a sigmoid) gives a
    /// different h, which the test checks too, so it cannot pass by symmetry.
    /// </summary>
    [Fact]
    public void Two_steps_of_one_unit_follow_pytorchs_equations_in_gate_order_i_f_g_o()
    {
        double[] wih = [0.5, -0.3, 0.8, 0.2];   // i, f, g, o
        double[] whh = [0.1, 0.4, -0.6, 0.7];
        double[] bih = [0.05, -0.1, 0.2, 0.3];
        double[] bhh = [-0.2, 0.15, 0.1, -0.05];
        double[] x = [1.0, -2.0];

        static (double H, double C) Step(double[] wih, double[] whh, double[] bih, double[] bhh, double x, double h, double c, int[] order)
        {
            double Pre(int gate) => wih[order[gate]] * x + bih[order[gate]] + whh[order[gate]] * h + bhh[order[gate]];
            double i = Sigmoid(Pre(0)), f = Sigmoid(Pre(1)), g = Math.Tanh(Pre(2)), o = Sigmoid(Pre(3));
            double cNext = f * c + i * g;
            return (o * Math.Tanh(cNext), cNext);
        }

        (double H, double C) Run(int[] order)
        {
            var s0 = Step(wih, whh, bih, bhh, x[0], 0, 0, order);
            return Step(wih, whh, bih, bhh, x[1], s0.H, s0.C, order);
        }

        var s0Expected = Step(wih, whh, bih, bhh, x[0], 0, 0, [0, 1, 2, 3]);
        double h1Expected = Run([0, 1, 2, 3]).H;

        var y = new double[2];
        var cache = new double[Lstm.CacheLength(1, 2, 1, 1)];
        Lstm.Forward<double>(y, cache, x, wih, whh, bih, bhh, batch: 1, steps: 2, inputs: 1, hidden: 1, returnSequences: true);
        Assert.Equal(s0Expected.H, y[0], 1e-15);
        Assert.Equal(h1Expected, y[1], 1e-15);

        foreach (int[] wrong in new[] { new[] { 1, 0, 2, 3 }, [0, 2, 1, 3], [0, 1, 3, 2], [3, 1, 2, 0], [2, 3, 0, 1] })
            Assert.True(Math.Abs(Run(wrong).H - h1Expected) > 1e-3, $"order [{string.Join(", ", wrong)}] would be indistinguishable");
    }

    [Fact]
    public void The_last_step_output_is_the_every_step_outputs_final_step()
    {
        const int batch = 3, steps = 4, inputs = 2, hidden = 5;
        var random = new Random(3);
        var w = RecurrentWeights.Random(random, 4, inputs, hidden, 0.5);
        double[] x = NumericAssert.Random<double>(random, batch * steps * inputs);
        double[] every = RecurrentKernels.Run<double>(CellKind.Lstm, w, x, batch, steps, inputs, hidden, returnSequences: true);
        double[] last = RecurrentKernels.Run<double>(CellKind.Lstm, w, x, batch, steps, inputs, hidden, returnSequences: false);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
                Assert.Equal(every[(b * steps + steps - 1) * hidden + j], last[b * hidden + j]);
    }
}
