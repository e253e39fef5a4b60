using System;
using System.Collections.Generic;
using ChainRule.Kernels;
using Xunit;
using Xunit.Sdk;

namespace ChainRule.Tests.Kernels.Recurrence;

/// <summary>
/// Backpropagation through time against central finite differences in double, for every parameter and the input,
/// and the per-step <c>‖∂L/∂h_t‖</c> against finite differences over a perturbation of <c>h_t</c>. The loss is
/// <c>L = Σ w ⊙ y</c> with random <c>w</c>, so <c>dy = w</c>. Truncated cases differentiate the tests' own definition:
/// the reference run with the state before step <c>T − K</c> replaced by its unperturbed value (detached).
/// </summary>
public class RecurrentGradientTests
{
    internal static readonly CellKind[] Kinds = [CellKind.Lstm, CellKind.Gru, CellKind.RnnTanh, CellKind.RnnRelu];

    // batch, steps, inputs, hidden, every-step output, truncate
    private static readonly (int B, int T, int F, int H, bool Sequences, int K)[] Shapes =
    [
        (1, 1, 1, 1, false, 0),
        (2, 1, 3, 4, true, 0),
        (3, 5, 4, 6, false, 0),
        (2, 7, 3, 5, true, 0),
        (2, 20, 3, 4, false, 0),
        (2, 20, 2, 3, true, 0),
        (2, 6, 3, 9, true, 0),
        (3, 9, 4, 5, false, 4),
        (2, 12, 3, 4, true, 5),
        (2, 20, 2, 3, false, 7),
        (2, 20, 2, 3, true, 1),
        (2, 5, 2, 3, false, 5),
    ];

    public static TheoryData<CellKind, int, int, int, int, bool, int> Cases()
    {
        var data = new TheoryData<CellKind, int, int, int, int, bool, int>();
        foreach (CellKind kind in Kinds)
            foreach (var s in Shapes)
                data.Add(kind, s.B, s.T, s.F, s.H, s.Sequences, s.K);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_of_every_parameter_and_the_input_match_central_finite_differences(CellKind kind, int batch, int steps, int inputs, int hidden, bool returnSequences, int truncate)
    {
        var random = new Random(HashCode.Combine(kind, batch, steps, inputs, hidden, returnSequences, truncate) & 0x7fffffff);
        int gates = RecurrentReference.Gates(kind);
        var w = RecurrentWeights.Random(random, gates, inputs, hidden, 0.6);
        double[] x = NumericAssert.Random<double>(random, batch * steps * inputs);
        double[] dy = NumericAssert.Random<double>(random, returnSequences ? batch * steps * hidden : batch * hidden);
        var analytic = Analytic(kind, w, x, dy, batch, steps, inputs, hidden, returnSequences, truncate, random);

        int cut = Recurrent.CutStep(steps, truncate);
        RecurrentState? frozen = Frozen(kind, w, x, batch, steps, inputs, hidden, cut);
        Func<double> loss = cut > 0
            ? () => Dot(RecurrentReference.Run(kind, w, x, batch, steps, inputs, hidden, returnSequences, cut, frozen), dy)
            : () => Dot(RecurrentKernels.Run<double>(kind, w, x, batch, steps, inputs, hidden, returnSequences), dy);
        string label = $"{kind} B={batch} T={steps} F={inputs} H={hidden} {(returnSequences ? "every step" : "last step")} K={truncate}";
        GradientCheck.AgainstFiniteDifferencesNormwise(w.WeightIH, analytic.WeightIH, loss, $"{label} weight_ih");
        GradientCheck.AgainstFiniteDifferencesNormwise(w.WeightHH, analytic.WeightHH, loss, $"{label} weight_hh");
        GradientCheck.AgainstFiniteDifferencesNormwise(w.BiasIH, analytic.BiasIH, loss, $"{label} bias_ih");
        GradientCheck.AgainstFiniteDifferencesNormwise(w.BiasHH, analytic.BiasHH, loss, $"{label} bias_hh");
        GradientCheck.AgainstFiniteDifferencesNormwise(x, analytic.Input, loss, $"{label} x");

        // ‖∂L/∂h_t‖: the finite difference over a perturbation added to h_t reaches the output at t and every later
        // step the (truncated) recurrence carries it to.
        for (int t = 0; t < steps; t++)
        {
            var perturbation = new double[batch * hidden];
            int step = t;
            var numeric = new double[perturbation.Length];
            for (int i = 0; i < perturbation.Length; i++)
            {
                perturbation[i] = 1e-5;
                double plus = Dot(RecurrentReference.Run(kind, w, x, batch, steps, inputs, hidden, returnSequences, cut, frozen, step, perturbation), dy);
                perturbation[i] = -1e-5;
                double minus = Dot(RecurrentReference.Run(kind, w, x, batch, steps, inputs, hidden, returnSequences, cut, frozen, step, perturbation), dy);
                perturbation[i] = 0;
                numeric[i] = (plus - minus) / 2e-5;
            }
            double expected = Math.Sqrt(Dot(numeric, numeric));
            if (!(Math.Abs(analytic.Norms[t] - expected) <= 1e-6 * expected + 1e-9))
                throw new XunitException($"{label}: ‖∂L/∂h_{t}‖ = {analytic.Norms[t]:R}, finite differences {expected:R}.");
        }
    }

    [Theory]
    [MemberData(nameof(StackCases))]
    public void A_two_layer_stack_backpropagates_through_both_layers(CellKind lower, CellKind upper, bool returnSequences)
    {
        const int batch = 2, steps = 6, inputs = 3, middle = 4, hidden = 5;
        var random = new Random(HashCode.Combine(lower, upper, returnSequences) & 0x7fffffff);
        var w1 = RecurrentWeights.Random(random, RecurrentReference.Gates(lower), inputs, middle, 0.6);
        var w2 = RecurrentWeights.Random(random, RecurrentReference.Gates(upper), middle, hidden, 0.6);
        double[] x = NumericAssert.Random<double>(random, batch * steps * inputs);
        double[] dy = NumericAssert.Random<double>(random, returnSequences ? batch * steps * hidden : batch * hidden);

        var y1 = new double[batch * steps * middle];
        var y2 = new double[dy.Length];
        var cache1 = new double[RecurrentKernels.CacheLength(lower, batch, steps, inputs, middle)];
        var cache2 = new double[RecurrentKernels.CacheLength(upper, batch, steps, middle, hidden)];
        double Loss()
        {
            RecurrentKernels.Forward<double>(lower, y1, cache1, x, w1.WeightIH, w1.WeightHH, w1.BiasIH, w1.BiasHH, batch, steps, inputs, middle, returnSequences: true);
            RecurrentKernels.Forward<double>(upper, y2, cache2, y1, w2.WeightIH, w2.WeightHH, w2.BiasIH, w2.BiasHH, batch, steps, middle, hidden, returnSequences);
            return Dot(y2, dy);
        }

        Loss();
        var g1 = Gradients.For(w1, x.Length);
        var g2 = Gradients.For(w2, y1.Length);
        RecurrentKernels.Backward<double>(upper, g2.Input, g2.WeightIH, g2.WeightHH, g2.BiasIH, g2.BiasHH, default, dy, cache2, w2.WeightIH, w2.WeightHH,
            batch, steps, middle, hidden, returnSequences, truncate: 0);
        RecurrentKernels.Backward<double>(lower, g1.Input, g1.WeightIH, g1.WeightHH, g1.BiasIH, g1.BiasHH, default, g2.Input, cache1, w1.WeightIH, w1.WeightHH,
            batch, steps, inputs, middle, returnSequences: true, truncate: 0);

        string label = $"{lower} → {upper} ({(returnSequences ? "every step" : "last step")})";
        GradientCheck.AgainstFiniteDifferencesNormwise(w2.WeightIH, g2.WeightIH, Loss, $"{label} upper weight_ih");
        GradientCheck.AgainstFiniteDifferencesNormwise(w2.WeightHH, g2.WeightHH, Loss, $"{label} upper weight_hh");
        GradientCheck.AgainstFiniteDifferencesNormwise(w2.BiasIH, g2.BiasIH, Loss, $"{label} upper bias_ih");
        GradientCheck.AgainstFiniteDifferencesNormwise(w2.BiasHH, g2.BiasHH, Loss, $"{label} upper bias_hh");
        GradientCheck.AgainstFiniteDifferencesNormwise(w1.WeightIH, g1.WeightIH, Loss, $"{label} lower weight_ih");
        GradientCheck.AgainstFiniteDifferencesNormwise(w1.WeightHH, g1.WeightHH, Loss, $"{label} lower weight_hh");
        GradientCheck.AgainstFiniteDifferencesNormwise(w1.BiasIH, g1.BiasIH, Loss, $"{label} lower bias_ih");
        GradientCheck.AgainstFiniteDifferencesNormwise(w1.BiasHH, g1.BiasHH, Loss, $"{label} lower bias_hh");
        GradientCheck.AgainstFiniteDifferencesNormwise(x, g1.Input, Loss, $"{label} x");
    }

    public static TheoryData<CellKind, CellKind, bool> StackCases()
    {
        var data = new TheoryData<CellKind, CellKind, bool>();
        for (int i = 0; i < Kinds.Length; i++)
        {
            CellKind upper = Kinds[(i + 1) % Kinds.Length];
            data.Add(Kinds[i], upper, false);
            data.Add(Kinds[i], upper, true);
        }
        return data;
    }

    /// <summary>Gradient buffers of one layer and its input.</summary>
    internal sealed record Gradients(double[] WeightIH, double[] WeightHH, double[] BiasIH, double[] BiasHH, double[] Input, double[] Norms)
    {
        public static Gradients For(RecurrentWeights w, int inputLength, int steps = 0) => new(
            new double[w.WeightIH.Length], new double[w.WeightHH.Length], new double[w.BiasIH.Length], new double[w.BiasHH.Length],
            new double[inputLength], new double[steps]);
    }

    /// <summary>
    /// The kernel's forward and backward in double. The parameter gradients start from random values that are
    /// subtracted afterwards, so the result also shows that they accumulate rather than overwrite.
    /// </summary>
    internal static Gradients Analytic(CellKind kind, RecurrentWeights w, double[] x, double[] dy, int batch, int steps, int inputs, int hidden,
        bool returnSequences, int truncate, Random random)
    {
        var y = new double[dy.Length];
        var cache = new double[RecurrentKernels.CacheLength(kind, batch, steps, inputs, hidden)];
        RecurrentKernels.Forward<double>(kind, y, cache, x, w.WeightIH, w.WeightHH, w.BiasIH, w.BiasHH, batch, steps, inputs, hidden, returnSequences);
        var g = Gradients.For(w, x.Length, steps);
        double[][] prior = [NumericAssert.Random<double>(random, g.WeightIH.Length), NumericAssert.Random<double>(random, g.WeightHH.Length),
            NumericAssert.Random<double>(random, g.BiasIH.Length), NumericAssert.Random<double>(random, g.BiasHH.Length)];
        double[][] targets = [g.WeightIH, g.WeightHH, g.BiasIH, g.BiasHH];
        for (int i = 0; i < targets.Length; i++)
            prior[i].CopyTo(targets[i], 0);
        Array.Fill(g.Input, double.NaN); // overwritten, not accumulated
        RecurrentKernels.Backward<double>(kind, g.Input, g.WeightIH, g.WeightHH, g.BiasIH, g.BiasHH, g.Norms, dy, cache, w.WeightIH, w.WeightHH,
            batch, steps, inputs, hidden, returnSequences, truncate);
        for (int i = 0; i < targets.Length; i++)
            for (int j = 0; j < targets[i].Length; j++)
                targets[i][j] -= prior[i][j];
        return g;
    }

    /// <summary>The state before step <paramref name="cut"/> of the unperturbed run: what a detach freezes.</summary>
    internal static RecurrentState? Frozen(CellKind kind, RecurrentWeights w, double[] x, int batch, int steps, int inputs, int hidden, int cut)
    {
        if (cut == 0)
            return null;
        var states = new List<RecurrentState>();
        RecurrentReference.Run(kind, w, x, batch, steps, inputs, hidden, returnSequences: true, states: states);
        return states[cut - 1];
    }

    internal static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }
}
