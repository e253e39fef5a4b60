using System;
using System.Collections.Generic;

namespace ChainRule.Tests.Kernels.Recurrence;

/// <summary>The cell kinds under test.</summary>
public enum CellKind { Lstm, Gru, RnnTanh, RnnRelu }

/// <summary>One layer's parameters in PyTorch's layout: <c>weight_ih_l0 (G·H, F)</c>, <c>weight_hh_l0 (G·H, H)</c>, the biases <c>(G·H)</c>.</summary>
internal sealed class RecurrentWeights(double[] weightIH, double[] weightHH, double[] biasIH, double[] biasHH)
{
    public double[] WeightIH { get; } = weightIH;
    public double[] WeightHH { get; } = weightHH;
    public double[] BiasIH { get; } = biasIH;
    public double[] BiasHH { get; } = biasHH;

    public static RecurrentWeights Random(Random random, int gates, int inputs, int hidden, double scale)
    {
        double[] Draw(int n) { var v = new double[n]; for (int i = 0; i < n; i++) v[i] = (random.NextDouble() * 2 - 1) * scale; return v; }
        return new RecurrentWeights(Draw(gates * hidden * inputs), Draw(gates * hidden * hidden), Draw(gates * hidden), Draw(gates * hidden));
    }
}

/// <summary>The state after a step: <c>h</c> and (LSTM only) <c>c</c>, each <c>(B, H)</c>.</summary>
internal sealed record RecurrentState(double[] Hidden, double[] Cell);

internal static class RecurrentReference
{
    public static int Gates(CellKind kind) => kind switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// Runs the cell over <paramref name="x"/> <c>(B, T, F)</c> from the zero state and returns every step's <c>h</c>
    /// <c>(B, T, H)</c> or the last <c>(B, H)</c>. Options for the tests' definitions: at the start of step
    /// <paramref name="cut"/> (&gt; 0) the state is replaced by <paramref name="frozen"/> (a detached state: its value from
    /// another run, so nothing here reaches it); after step <paramref name="perturbStep"/> <paramref name="perturbation"/>
    /// is added to <c>h</c> (so a finite difference over it measures <c>∂L/∂h_t</c>); <paramref name="states"/> collects
    /// the state after each step.
    /// </summary>
    public static double[] Run(CellKind kind, RecurrentWeights w, double[] x, int batch, int steps, int inputs, int hidden, bool returnSequences,
        int cut = 0, RecurrentState? frozen = null, int perturbStep = -1, double[]? perturbation = null, List<RecurrentState>? states = null)
    {
        int gates = Gates(kind), width = gates * hidden;
        var h = new double[batch * hidden];
        var c = new double[batch * hidden];
        var y = new double[returnSequences ? batch * steps * hidden : batch * hidden];
        var ax = new double[width];
        var ah = new double[width];
        for (int t = 0; t < steps; t++)
        {
            if (t == cut && cut > 0 && frozen is not null)
            {
                frozen.Hidden.CopyTo(h, 0);
                frozen.Cell.CopyTo(c, 0);
            }
            var next = new double[batch * hidden];
            var nextCell = new double[batch * hidden];
            for (int b = 0; b < batch; b++)
            {
                for (int q = 0; q < width; q++)
                {
                    double sx = w.BiasIH[q], sh = w.BiasHH[q];
                    for (int f = 0; f < inputs; f++) sx += w.WeightIH[q * inputs + f] * x[(b * steps + t) * inputs + f];
                    for (int k = 0; k < hidden; k++) sh += w.WeightHH[q * hidden + k] * h[b * hidden + k];
                    ax[q] = sx;
                    ah[q] = sh;
                }
                for (int j = 0; j < hidden; j++)
                {
                    int s = b * hidden + j;
                    switch (kind)
                    {
                        case CellKind.Lstm:
                            double i = Sigmoid(ax[j] + ah[j]), f = Sigmoid(ax[hidden + j] + ah[hidden + j]);
                            double g = Math.Tanh(ax[2 * hidden + j] + ah[2 * hidden + j]), o = Sigmoid(ax[3 * hidden + j] + ah[3 * hidden + j]);
                            nextCell[s] = f * c[s] + i * g;
                            next[s] = o * Math.Tanh(nextCell[s]);
                            break;
                        case CellKind.Gru:
                            double r = Sigmoid(ax[j] + ah[j]), z = Sigmoid(ax[hidden + j] + ah[hidden + j]);
                            double n = Math.Tanh(ax[2 * hidden + j] + r * ah[2 * hidden + j]);
                            next[s] = (1 - z) * n + z * h[s];
                            break;
                        case CellKind.RnnTanh:
                            next[s] = Math.Tanh(ax[j] + ah[j]);
                            break;
                        case CellKind.RnnRelu:
                            next[s] = Math.Max(ax[j] + ah[j], 0);
                            break;
                    }
                }
            }
            if (t == perturbStep && perturbation is not null)
                for (int s = 0; s < next.Length; s++) next[s] += perturbation[s];
            h = next;
            c = nextCell;
            states?.Add(new RecurrentState((double[])h.Clone(), (double[])c.Clone()));
            for (int b = 0; b < batch; b++)
            {
                if (returnSequences)
                    Array.Copy(h, b * hidden, y, (b * steps + t) * hidden, hidden);
                else if (t == steps - 1)
                    Array.Copy(h, b * hidden, y, b * hidden, hidden);
            }
        }
        return y;
    }
}
