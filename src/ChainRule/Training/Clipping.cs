using System;
using System.Globalization;

namespace ChainRule.Training;

/// <summary>How a trainer clips gradients before the optimizer sees them.</summary>
public enum ClippingKind
{
    /// <summary>No clipping.</summary>
    None = 0,
    /// <summary><c>torch.nn.utils.clip_grad_norm_</c>: every gradient scaled by one coefficient so the global L2 norm is at most the threshold.</summary>
    GlobalNorm = 1,
    /// <summary><c>torch.nn.utils.clip_grad_value_</c>: every gradient clamped to <c>[−threshold, threshold]</c>.</summary>
    Value = 2,
    /// <summary>Adaptive gradient clipping (AGC, Brock et al. 2021): per output unit, relative to the unit's weight norm.</summary>
    Adaptive = 3,
}

/// <summary>
/// An immutable description of gradient clipping; create one with <see cref="Clipping"/>. The kernels that apply it
/// are in <see cref="GradientClipping"/>.
/// </summary>
public sealed class ClippingOptions
{
    internal ClippingOptions(ClippingKind kind, double threshold, double epsilon)
    {
        Kind = kind;
        Threshold = threshold;
        Epsilon = epsilon;
    }

    /// <summary>The clipping method.</summary>
    public ClippingKind Kind { get; }

    /// <summary>
    /// The maximum global norm (<see cref="ClippingKind.GlobalNorm"/>), the clip value <c>c</c>
    /// (<see cref="ClippingKind.Value"/>), or the ratio <c>λ</c> (<see cref="ClippingKind.Adaptive"/>); 0 for none.
    /// </summary>
    public double Threshold { get; }

    /// <summary>AGC's floor on a unit's weight norm, <c>max(‖W_i‖, ε)</c>; 0 for the other kinds.</summary>
    public double Epsilon { get; }

    /// <summary>A one-line description, e.g. <c>GlobalNorm(max_norm=1)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => Kind switch
    {
        ClippingKind.None => "None",
        ClippingKind.GlobalNorm => string.Create(CultureInfo.InvariantCulture, $"GlobalNorm(max_norm={Threshold})"),
        ClippingKind.Value => string.Create(CultureInfo.InvariantCulture, $"Value(clip_value={Threshold})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"Adaptive(lambda={Threshold}, eps={Epsilon})"),
    };
}

/// <summary>Factories for <see cref="ClippingOptions"/>, with argument checks.</summary>
public static class Clipping
{
    /// <summary>No clipping: the default.</summary>
    public static ClippingOptions None { get; } = new(ClippingKind.None, 0, 0);

    /// <summary>
    /// Clip the global L2 norm over every gradient to <paramref name="maxNorm"/>, as
    /// <c>torch.nn.utils.clip_grad_norm_(parameters, max_norm)</c>; see <see cref="GradientClipping.GlobalNorm{T}(Span{T}, T)"/>.
    /// </summary>
    /// <param name="maxNorm">The largest global norm let through, positive and finite.</param>
    /// <returns>The options.</returns>
    public static ClippingOptions GlobalNorm(double maxNorm)
    {
        CheckPositive(maxNorm, nameof(maxNorm));
        return new(ClippingKind.GlobalNorm, maxNorm, 0);
    }

    /// <summary>
    /// Clamp every gradient to <c>[−clipValue, clipValue]</c>, as <c>torch.nn.utils.clip_grad_value_</c>; see
    /// <see cref="GradientClipping.Value{T}(Span{T}, T)"/>.
    /// </summary>
    /// <param name="clipValue">The largest magnitude let through, positive and finite.</param>
    /// <returns>The options.</returns>
    public static ClippingOptions Value(double clipValue)
    {
        CheckPositive(clipValue, nameof(clipValue));
        return new(ClippingKind.Value, clipValue, 0);
    }

    /// <summary>
    /// Adaptive gradient clipping (Brock et al. 2021, NFNets): each output unit's gradient row <c>G_i</c> is rescaled
    /// when <c>‖G_i‖ / max(‖W_i‖, ε) &gt; λ</c>; see <see cref="GradientClipping.Adaptive{T}"/>.
    /// </summary>
    /// <param name="lambda">The largest gradient-to-weight norm ratio let through, positive and finite (the paper uses 0.01–0.16).</param>
    /// <param name="epsilon">The floor on a unit's weight norm, positive and finite; the paper's 1e-3 by default.</param>
    /// <returns>The options.</returns>
    public static ClippingOptions Adaptive(double lambda, double epsilon = 1e-3)
    {
        CheckPositive(lambda, nameof(lambda));
        CheckPositive(epsilon, nameof(epsilon));
        return new(ClippingKind.Adaptive, lambda, epsilon);
    }

    internal static void CheckPositive(double value, string parameterName)
    {
        if (!(value > 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(parameterName, value, $"{parameterName} must be a finite number > 0.");
    }
}
