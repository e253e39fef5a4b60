using System;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>
/// Gaussian expectations of an activation φ, by Gauss–Hermite quadrature: what the gradient-flow estimate
/// (<see cref="GradientFlowEstimate"/>) needs of each activation at the pre-activation's second moment.
/// </summary>
/// <remarks>
/// The pre-activations of a unit are modelled as <c>h = m + s·z</c>: <c>m ~ N(0, offset)</c> is the unit's own mean
/// over the batch (non-zero when its inputs are not centred, as sigmoid outputs are) and <c>s² = q − offset</c> the
/// spread around it, so that <c>h ~ N(0, q)</c> over units and samples together. Even node counts put no node on 0,
/// where ReLU's derivative jumps; by symmetry the ReLU family's moments come out exact.
/// The generator cannot load the runtime, so φ is written here once more as a scalar formula for these statistics
/// only; GELU uses its tanh form, within 0.1 % of the exact one — far inside the decade the estimate is judged on.
/// </remarks>
internal static class ActivationMoments
{
    /// <summary>Nodes per dimension: exact for polynomials of degree 47, ample for these smooth or piecewise-linear φ.</summary>
    private const int Order = 24;

    /// <summary>Nodes <c>zᵢ</c> and weights <c>wᵢ</c> with <c>E[f(z)] ≈ Σ wᵢ f(zᵢ)</c> for <c>z ~ N(0, 1)</c>.</summary>
    internal static readonly (double[] Nodes, double[] Weights) StandardNormal = ComputeNodes(Order);

    /// <summary>What one activation does to a Gaussian pre-activation of second moment <paramref name="q"/>.</summary>
    /// <param name="q">E[h²].</param>
    /// <param name="offset">E[m²], the part of <paramref name="q"/> that is each unit's own mean (0 ≤ offset ≤ q).</param>
    public static Moments Of(ActivationKind activation, double q, double offset)
    {
        if (activation == ActivationKind.Identity)
            return new Moments(q, 0, offset, 1);
        var (nodes, weights) = StandardNormal;
        double sigma = Math.Sqrt(q);
        double square = 0, mean = 0, slope = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            double h = sigma * nodes[i];
            double y = Value(activation, h);
            square += weights[i] * y * y;
            mean += weights[i] * y;
            double d = Derivative(activation, h);
            slope += weights[i] * d * d;
        }
        // Centred units all share the common mean; only off-centre ones need the second dimension.
        if (offset <= 0)
            return new Moments(square, mean, mean * mean, slope);
        // The unit's mean over the batch, E_z φ(m + s z), squared and averaged over the units' means m.
        double spread = Math.Sqrt(Math.Max(0, q - offset)), between = Math.Sqrt(Math.Max(0, offset));
        double unitMeans = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            double unitMean = 0;
            for (int j = 0; j < nodes.Length; j++)
                unitMean += weights[j] * Value(activation, between * nodes[i] + spread * nodes[j]);
            unitMeans += weights[i] * unitMean * unitMean;
        }
        return new Moments(square, mean, unitMeans, slope);
    }

    /// <summary>
    /// <c>E_m[ E_z φ'(h)² / (Var_z φ(h) + ε) ]</c>: the gradient's gain through φ followed by a BatchNorm, unit by unit.
    /// A unit whose mean sits where φ is flat has a tiny batch variance, and the norm divides by it: averaging the
    /// ratio, not dividing the averages, is what makes BatchNorm after ReLU explode at rate π/(π−1) per layer
    /// (Yang et al. 2019) and more when units are off-centre.
    /// </summary>
    public static double SlopeOverVariance(ActivationKind activation, double q, double offset, double epsilon)
    {
        var (nodes, weights) = StandardNormal;
        double spread = Math.Sqrt(Math.Max(0, q - offset)), between = Math.Sqrt(Math.Max(0, offset));
        double total = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            double mean = 0, square = 0, slope = 0;
            for (int j = 0; j < nodes.Length; j++)
            {
                double h = between * nodes[i] + spread * nodes[j];
                double y = Value(activation, h), d = Derivative(activation, h);
                mean += weights[j] * y;
                square += weights[j] * y * y;
                slope += weights[j] * d * d;
            }
            total += weights[i] * slope / (Math.Max(0, square - mean * mean) + epsilon);
        }
        return total;
    }

    internal static double Value(ActivationKind activation, double x) => activation switch
    {
        ActivationKind.Sigmoid => Logistic(x),
        ActivationKind.Tanh => Math.Tanh(x),
        ActivationKind.ReLU => x > 0 ? x : 0,
        ActivationKind.LeakyReLU => x > 0 ? x : 0.01 * x,
        ActivationKind.Gelu => x * GeluGate(x),
        ActivationKind.Silu => x * Logistic(x),
        _ => x,
    };

    internal static double Derivative(ActivationKind activation, double x)
    {
        switch (activation)
        {
            case ActivationKind.Sigmoid:
                double s = Logistic(x);
                return s * (1 - s);
            case ActivationKind.Tanh:
                double t = Math.Tanh(x);
                return 1 - t * t;
            case ActivationKind.ReLU:
                return x > 0 ? 1 : 0;
            case ActivationKind.LeakyReLU:
                return x > 0 ? 1 : 0.01;
            case ActivationKind.Gelu:
                // d/dx [x·½(1 + tanh u)], u = √(2/π)(x + 0.044715x³).
                double u = GeluScale * (x + 0.044715 * x * x * x);
                double th = Math.Tanh(u);
                return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GeluScale * (1 + 3 * 0.044715 * x * x);
            case ActivationKind.Silu:
                double g = Logistic(x);
                return g * (1 + x * (1 - g));
            default:
                return 1;
        }
    }

    private const double GeluScale = 0.79788456080286536; // √(2/π)

    private static double GeluGate(double x) => 0.5 * (1 + Math.Tanh(GeluScale * (x + 0.044715 * x * x * x)));

    private static double Logistic(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// Golub–Welsch would need an eigensolver; Newton's method on the Hermite recurrence (Numerical Recipes'
    /// <c>gauher</c>, for the weight <c>e^(−x²)</c>) finds the nodes directly, then <c>z = √2·x</c>, <c>w/√π</c>.
    /// </summary>
    private static (double[] Nodes, double[] Weights) ComputeNodes(int n)
    {
        var nodes = new double[n];
        var weights = new double[n];
        const double PiToMinusQuarter = 0.7511255444649425;
        double z = 0;
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            z = i switch
            {
                0 => Math.Sqrt(2 * n + 1) - 1.85575 * Math.Pow(2 * n + 1, -0.16667),
                1 => z - 1.14 * Math.Pow(n, 0.426) / z,
                2 => 1.86 * z - 0.86 * nodes[0],
                3 => 1.91 * z - 0.91 * nodes[1],
                _ => 2 * z - nodes[i - 2],
            };
            double derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                double p1 = PiToMinusQuarter, p2 = 0;
                for (int j = 1; j <= n; j++)
                {
                    double p3 = p2;
                    p2 = p1;
                    p1 = z * Math.Sqrt(2.0 / j) * p2 - Math.Sqrt((j - 1.0) / j) * p3;
                }
                derivative = Math.Sqrt(2.0 * n) * p2;
                double previous = z;
                z = previous - p1 / derivative;
                if (Math.Abs(z - previous) <= 1e-15)
                    break;
            }
            nodes[i] = z;
            nodes[n - 1 - i] = -z;
            weights[i] = weights[n - 1 - i] = 2.0 / (derivative * derivative);
        }
        const double SqrtTwo = 1.4142135623730951, OneOverSqrtPi = 0.56418958354775628;
        for (int i = 0; i < n; i++)
        {
            nodes[i] *= SqrtTwo;
            weights[i] *= OneOverSqrtPi;
        }
        return (nodes, weights);
    }
}

/// <summary>Gaussian moments of an activation's output and derivative.</summary>
/// <param name="Square">E[φ(h)²], the output's second moment.</param>
/// <param name="Mean">E[φ(h)], common to all units (what a LayerNorm subtracts).</param>
/// <param name="UnitMeans">E over units of (each unit's mean over the batch)² (what a BatchNorm subtracts).</param>
/// <param name="SlopeSquare">E[φ'(h)²], the gradient's gain through φ.</param>
internal readonly record struct Moments(double Square, double Mean, double UnitMeans, double SlopeSquare);
