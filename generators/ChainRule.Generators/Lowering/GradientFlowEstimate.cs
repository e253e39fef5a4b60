using System;
using System.Collections.Generic;
using System.Globalization;
using ChainRule.Generators.Kinds;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>
/// The gradient flow a lowered network will have at initialization, predicted at compile time by mean-field
/// theory (Poole et al. 2016, Schoenholz et al. 2017): each parameterized layer's expected <c>‖∂L/∂W‖</c>
/// relative to the last one's, in decades — the quantity the first training step's <c>GradientReport</c> measures.
/// </summary>
/// <remarks>
/// <para>
/// Forward, the second moment of every activation is propagated from standardized inputs (zero mean, unit
/// variance): a dense layer multiplies it by <c>fan_in·Var(W)</c> (from the init scheme; biases start at 0), an
/// activation maps <c>q</c> to <c>E[φ(h)²]</c> for <c>h ~ N(0, q)</c> (<see cref="ActivationMoments"/>), a norm
/// resets it to ≈ 1 (remembering the variance it divided by), a residual add sums the stream's and the branch's
/// (times α², which ReZero starts at 0). Alongside go the common mean (removed by LayerNorm) and the units' own
/// batch means (removed by BatchNorm), so a norm after sigmoid outputs divides by their true variance.
/// </para>
/// <para>
/// Backward, the gradient's second moment per unit starts at 1 at the output and is multiplied by
/// <c>E[φ'(h)²]</c> through an activation, by <c>fan_out·Var(W)</c> through a dense layer, by
/// <c>1/(σ² + ε)</c> (times the share the norm's projection keeps, <c>(n−2)/n</c> for LayerNorm, <c>(n−1)/n</c> for
/// RMSNorm) through a norm, and adds over a residual fork. With the usual independence assumptions a dense layer's
/// <c>‖∂L/∂W‖² ∝ fan_in·fan_out·E[δ²]·E[x²]</c> and a norm's <c>‖∂L/∂γ‖² ∝ n·E[δ²]·E[x̂²]</c>; the batch size and
/// the loss's own scale are common to every layer and cancel in the ratio.
/// </para>
/// <para>
/// Works on the plan alone (no symbols), in time linear in the layers: one quadrature per activation.
/// </para>
/// </remarks>
internal static class GradientFlowEstimate
{
    /// <summary>
    /// <c>log10(‖∂L/∂W_ℓ‖ / ‖∂L/∂W_last‖)</c> for each entry of <see cref="NetworkPlan.LayerNames"/>;
    /// −∞ for a layer whose gradient is exactly 0 at initialization (a ReZero branch, α = 0).
    /// </summary>
    public static double[] RelativeDecades(NetworkPlan plan)
    {
        var squares = new double[plan.LayerNames.Count];
        var walk = new Walk(squares);
        Signal x = Signal.Standardized;
        foreach (PlanStep step in plan.Steps)
            x = step.LayerKind.Estimate(step, walk, x);
        walk.Backward(1.0);
        walk.ApplyCancellations();

        double reference = squares[squares.Length - 1];
        var decades = new double[squares.Length];
        for (int i = 0; i < squares.Length; i++)
            decades[i] = squares[i] == 0 ? double.NegativeInfinity : 0.5 * Math.Log10(squares[i] / reference);
        return decades;
    }

    /// <summary>The variance of one weight under <paramref name="init"/> (PyTorch's definitions, gain 1).</summary>
    public static double WeightVariance(InitKind init, int fanIn, int fanOut) => init switch
    {
        InitKind.HeNormal or InitKind.HeUniform => 2.0 / fanIn,
        InitKind.XavierNormal or InitKind.XavierUniform => 2.0 / (fanIn + fanOut),
        InitKind.LeCunNormal or InitKind.LeCunUniform => 1.0 / fanIn,
        // Orthonormal rows (fan_out ≤ fan_in) or columns: a row's squared norm is min(in, out)/out.
        InitKind.Orthogonal => 1.0 / Math.Max(fanIn, fanOut),
        _ => 0,
    };

    /// <summary>A norm's ε as the number the generated literal (<c>1E-05f</c>) stands for.</summary>
    private static double Epsilon(NormPlan norm) =>
        double.Parse(norm.Epsilon.TrimEnd('f'), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>An activation's statistics: second moment, common mean, second moment of the units' batch means.</summary>
    internal readonly record struct Signal(double Square, double Mean, double UnitMeans)
    {
        public static readonly Signal Standardized = new(1, 0, 0);
    }

    /// <summary>
    /// Records the forward pass as the gains its backward pass applies, then replays them in reverse: each entry maps
    /// the gradient's second moment at an output to the one at its input, adding to weight-gradient squares on the way.
    /// A layer kind's <c>Estimate</c> steps its layer through here.
    /// </summary>
    internal sealed class Walk(double[] squares)
    {
        private readonly List<Func<double, double>> _backward = new();

        /// <summary>The dense layer whose output the next step reads, while nothing else has come between.</summary>
        private DenseRecord? _justBefore;

        /// <summary>The norm whose output the next step reads, or −1.</summary>
        private int _normJustBefore = -1;

        /// <summary>Factors on weight-gradient squares that a following BatchNorm's scale invariance imposes.</summary>
        private readonly List<(int Layer, double Factor)> _cancellations = new();

        public void ApplyCancellations()
        {
            foreach (var (layer, factor) in _cancellations)
                squares[layer] *= factor;
        }

        /// <summary>What a BatchNorm directly after a dense layer needs of it: its pre-activation and its gain.</summary>
        private sealed class DenseRecord(ActivationKind activation, double q, double offset, double slope)
        {
            public ActivationKind Activation { get; } = activation;
            public double Q { get; } = q;
            public double Offset { get; } = offset;
            public double Slope { get; set; } = slope;
        }

        public void Backward(double gradient)
        {
            for (int i = _backward.Count - 1; i >= 0; i--)
                gradient = _backward[i](gradient);
        }

        public Signal Dense(DenseStep dense, Signal x) => Dense(dense, x, _backward);

        public Signal Norm(NormPlan norm, Signal x) => Norm(norm, x, _backward);

        private Signal Dense(DenseStep dense, Signal x, List<Func<double, double>> backward)
        {
            double variance = WeightVariance(dense.Init, dense.Inputs, dense.Outputs);
            double q = dense.Inputs * variance * x.Square;
            double offset = dense.Inputs * variance * x.UnitMeans;
            Moments moments = ActivationMoments.Of(dense.Activation, q, offset);
            int layer = dense.NameIndex;
            double inputSquare = x.Square;
            var record = new DenseRecord(dense.Activation, q, offset, moments.SlopeSquare);
            _justBefore = record;
            _normJustBefore = -1;
            backward.Add(g =>
            {
                double pre = g * record.Slope;
                squares[layer] += (double)dense.Inputs * dense.Outputs * pre * inputSquare;
                return dense.Outputs * variance * pre;
            });
            return new Signal(moments.Square, moments.Mean, moments.UnitMeans);
        }

        private Signal Norm(NormPlan norm, Signal x, List<Func<double, double>> backward)
        {
            double epsilon = Epsilon(norm);
            int n = norm.Features;
            // What the norm divides by, and the share of the gradient its projection (mean and scale removal) keeps.
            var (divisor, kept, output) = norm.Kind switch
            {
                NormKind.LayerNorm => (Math.Max(0, x.Square - x.Mean * x.Mean) + epsilon, n > 2 ? (n - 2.0) / n : 0,
                    (Func<double, Signal>)(d => new Signal((d - epsilon) / d, 0, Math.Max(0, x.UnitMeans - x.Mean * x.Mean) / d))),
                NormKind.RMSNorm => (x.Square + epsilon, (n - 1.0) / n,
                    d => new Signal(x.Square / d, x.Mean / Math.Sqrt(d), x.UnitMeans / d)),
                _ => (Math.Max(0, x.Square - x.UnitMeans) + epsilon, 1.0,
                    d => new Signal((d - epsilon) / d, 0, 0)),
            };
            Signal y = output(divisor);
            if (norm.Kind == NormKind.BatchNorm && _justBefore is { } dense)
            {
                // Each unit is divided by its own batch variance: the division moves into the dense layer's gain.
                dense.Slope = ActivationMoments.SlopeOverVariance(dense.Activation, dense.Q, dense.Offset, epsilon);
                divisor = 1;
            }
            _justBefore = null;
            if (norm.Kind == NormKind.BatchNorm && _normJustBefore >= 0)
            {
                // BatchNorm undoes any per-feature scale before it, so the previous norm's γ moves the loss only
                // through ε: ∂z/∂γ carries the factor ε/(σ² + ε).
                double share = epsilon / divisor;
                _cancellations.Add((_normJustBefore, share * share));
            }
            int layer = norm.NameIndex;
            _normJustBefore = layer;
            backward.Add(g =>
            {
                squares[layer] += n * g * y.Square;
                return g * kept / divisor;
            });
            return y;
        }

        /// <summary>
        /// A recurrent layer, estimated over one step as a dense layer from <c>[x_t, h_{t−1}]</c> (fan-in <c>F + H</c>)
        /// with PyTorch's <c>U(±1/√H)</c> weights (variance <c>1/(3H)</c>) and a tanh-shaped output: the flow through
        /// time, which this cannot predict, is what the report's per-step <c>‖∂L/∂h_t‖</c> measures.
        /// </summary>
        public Signal Recurrent(RecurrentStep recurrent, Signal x)
        {
            _justBefore = null;
            _normJustBefore = -1;
            double variance = 1.0 / (3.0 * recurrent.Hidden);
            int fanIn = recurrent.Inputs + recurrent.Hidden;
            double q = fanIn * variance * x.Square;
            Moments moments = ActivationMoments.Of(ActivationKind.Tanh, q, 0);
            int layer = recurrent.NameIndex;
            double inputSquare = x.Square;
            _backward.Add(g =>
            {
                double pre = g * moments.SlopeSquare;
                squares[layer] += (double)fanIn * recurrent.Width * pre * inputSquare;
                return recurrent.Width * variance * pre;
            });
            return new Signal(moments.Square, moments.Mean, moments.UnitMeans);
        }

        public Signal Residual(ResidualStep residual, Signal x)
        {
            _justBefore = null;
            double alphaSquare = residual.ReZero ? 0 : 1;
            foreach (ResidualBlockPlan block in residual.Blocks)
            {
                var branch = new List<Func<double, double>>();
                Signal s;
                // The norms here read the stream or a sum, never a dense layer's output directly.
                _justBefore = null;
                if (residual.Placement == NormPlacementKind.Pre)
                    _normJustBefore = -1;
                if (residual.Placement == NormPlacementKind.Pre)
                {
                    Signal f = Dense(block.Down, Dense(block.Up, Norm(block.Norm, x, branch), branch), branch);
                    s = Add(x, f, alphaSquare);
                    _backward.Add(g => g + Replay(branch, alphaSquare * g));
                }
                else
                {
                    int normBefore = _normJustBefore;
                    Signal f = Dense(block.Down, Dense(block.Up, x, branch), branch);
                    _backward.Add(g => g + Replay(branch, alphaSquare * g));
                    _justBefore = null;
                    // With α = 0 the sum is the stream itself, so a norm that produced it still directly precedes this one.
                    _normJustBefore = residual.ReZero ? normBefore : -1;
                    s = Norm(block.Norm, Add(x, f, alphaSquare), _backward);
                }
                x = s;
            }
            _justBefore = null;
            if (residual.Placement == NormPlacementKind.Pre)
                _normJustBefore = -1;
            return x;
        }

        /// <summary>The branch <c>F</c> is independent of the stream at initialization: second moments add.</summary>
        private static Signal Add(Signal x, Signal f, double alphaSquare) =>
            new(x.Square + alphaSquare * f.Square, x.Mean + Math.Sqrt(alphaSquare) * f.Mean, x.UnitMeans + alphaSquare * f.UnitMeans);

        private static double Replay(List<Func<double, double>> branch, double gradient)
        {
            for (int i = branch.Count - 1; i >= 0; i--)
                gradient = branch[i](gradient);
            return gradient;
        }
    }
}
