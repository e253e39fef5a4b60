using System;
using System.Numerics;
using System.Numerics.Tensors;
using ChainRule.Kernels;

namespace ChainRule.Training;

/// <summary>
/// The gradient-clipping kernels, in place on a gradient buffer, with PyTorch's (and, for AGC, the NFNets
/// reference code's) formulas. None allocates.
/// </summary>
public static class GradientClipping
{
    /// <summary>PyTorch's constant in <c>max_norm / (total_norm + 1e-6)</c>.</summary>
    public const double NormEpsilon = 1e-6;

    /// <summary>
    /// <c>torch.nn.utils.clip_grad_norm_</c>: <c>total = √(Σ g²)</c> over every element, <c>coefficient =
    /// maxNorm / (total + 1e-6)</c>, and <c>g ← g·coefficient</c> only when <c>coefficient &lt; 1</c>.
    /// </summary>
    /// <param name="gradients">Every gradient (one contiguous buffer), scaled in place.</param>
    /// <param name="maxNorm">The largest global norm let through, positive and finite.</param>
    /// <returns>The total norm <em>before</em> clipping, as PyTorch returns it.</returns>
    /// <remarks>
    /// Two passes at most: one to compute the norm, one to scale, only when needed. Squares are summed in
    /// <typeparamref name="T"/> over blocks of 4096 elements with <c>TensorPrimitives.SumOfSquares</c> and the blocks
    /// in double, so a float buffer's norm is accurate to a few float ulps whatever its length; the coefficient is
    /// computed in double. Unlike PyTorch (which multiplies by a NaN or zero coefficient), a non-finite total leaves
    /// the gradients untouched, so the NaN or ∞ stays where it arose for the trainer to report, and the trainer does
    /// not apply that step.
    /// </remarks>
    public static T GlobalNorm<T>(Span<T> gradients, T maxNorm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // ScaleToMaxNorm refuses a bad maxNorm, under this parameter's name, before anything is written.
        double total = Math.Sqrt(Norms.SumOfSquares<T>(gradients));
        ScaleToMaxNorm(gradients, total, double.CreateTruncating(maxNorm));
        return T.CreateTruncating(total);
    }

    /// <summary>
    /// The scaling half of <see cref="GlobalNorm{T}(Span{T}, T)"/> for a trainer that already knows the total norm (from
    /// the squared norms the backward kernels return): <c>coefficient = maxNorm / (totalNorm + 1e-6)</c>, and
    /// <c>g ← g·coefficient</c> only when <c>coefficient &lt; 1</c>. One pass over memory, and none when no clipping is needed.
    /// </summary>
    /// <param name="gradients">Every gradient (one contiguous buffer), scaled in place.</param>
    /// <param name="totalNorm"><c>√(Σ g²)</c> over every element of <paramref name="gradients"/>.</param>
    /// <param name="maxNorm">The largest global norm let through, positive and finite.</param>
    /// <returns>The coefficient applied: 1 when nothing was scaled (including a non-finite <paramref name="totalNorm"/>, which leaves the gradients untouched).</returns>
    public static double ScaleToMaxNorm<T>(Span<T> gradients, double totalNorm, double maxNorm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(maxNorm > 0 && double.IsFinite(maxNorm)))
            Clipping.CheckPositive(maxNorm, nameof(maxNorm));
        if (!double.IsFinite(totalNorm))
            return 1;
        double coefficient = maxNorm / (totalNorm + NormEpsilon);
        if (!(coefficient < 1))
            return 1;
        ParallelPasses<T>.Scale(gradients, T.CreateTruncating(coefficient));
        return coefficient;
    }

    /// <summary>
    /// <c>torch.nn.utils.clip_grad_value_</c>: <c>g ← clamp(g, −clipValue, clipValue)</c>, one vectorized pass
    /// (<c>TensorPrimitives.Clamp</c>; NaN stays NaN).
    /// </summary>
    /// <param name="gradients">The gradients, clamped in place.</param>
    /// <param name="clipValue">The largest magnitude let through, positive and finite.</param>
    public static void Value<T>(Span<T> gradients, T clipValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(clipValue > T.Zero && T.IsFinite(clipValue)))
            Clipping.CheckPositive(double.CreateTruncating(clipValue), nameof(clipValue));
        TensorPrimitives.Clamp(gradients, -clipValue, clipValue, gradients);
    }

    /// <summary>
    /// Adaptive gradient clipping (Brock et al. 2021), unit-wise: for each row <c>i</c> (an output unit) of a weight
    /// <c>(rows, columns)</c>, with <c>m_i = λ·max(‖W_i‖, ε)</c>, if <c>‖G_i‖ &gt; m_i</c> then
    /// <c>G_i ← G_i · m_i / max(‖G_i‖, 1e-6)</c>, which leaves <c>‖G_i‖ / max(‖W_i‖, ε) = λ</c>.
    /// </summary>
    /// <param name="gradient">The parameter's gradient, <c>(rows, columns)</c>, clipped in place.</param>
    /// <param name="weight">The parameter, <c>(rows, columns)</c>.</param>
    /// <param name="rows">Number of units: a dense weight's outputs; 1 for a bias vector, which the NFNets code treats as one unit.</param>
    /// <param name="columns">Elements per unit: a dense weight's inputs; the bias length for a bias.</param>
    /// <param name="lambda">The clipping ratio <c>λ</c>, positive and finite.</param>
    /// <param name="epsilon">The floor <c>ε</c> on a unit's weight norm, positive and finite (1e-3 in the paper).</param>
    /// <returns>The number of rows clipped.</returns>
    /// <remarks>
    /// Norms are computed per row in double from sums of squares in <typeparamref name="T"/>; a row is read twice
    /// (norm, then scale) while it is in cache. The <c>max(‖G_i‖, 1e-6)</c> guard is the NFNets code's. A row whose
    /// gradient norm is NaN is not clipped. The NFNets paper does not clip the final classifier layer; which
    /// parameters to clip is the caller's choice.
    /// </remarks>
    public static int Adaptive<T>(Span<T> gradient, ReadOnlySpan<T> weight, int rows, int columns, T lambda, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Gemm.CheckShape would name them m and n, which are not this method's parameters.
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Gemm.CheckLength(gradient.Length, rows, columns, nameof(gradient), "(rows, columns)");
        Gemm.CheckLength(weight.Length, rows, columns, nameof(weight), "(rows, columns)");
        double ratio = double.CreateTruncating(lambda), floor = double.CreateTruncating(epsilon);
        if (!(ratio > 0 && double.IsFinite(ratio)))
            Clipping.CheckPositive(ratio, nameof(lambda));
        if (!(floor > 0 && double.IsFinite(floor)))
            Clipping.CheckPositive(floor, nameof(epsilon));

        int clipped = 0;
        for (int i = 0; i < rows; i++)
        {
            Span<T> g = gradient.Slice(i * columns, columns);
            double gradientNorm = Math.Sqrt(Norms.SumOfSquares<T>(g));
            double maxNorm = ratio * Math.Max(Math.Sqrt(Norms.SumOfSquares(weight.Slice(i * columns, columns))), floor);
            if (gradientNorm > maxNorm)
            {
                TensorPrimitives.Multiply(g, T.CreateTruncating(maxNorm / Math.Max(gradientNorm, NormEpsilon)), g);
                clipped++;
            }
        }
        return clipped;
    }
}
