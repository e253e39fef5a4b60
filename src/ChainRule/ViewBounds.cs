using System;
using System.Globalization;

namespace ChainRule;

/// <summary>
/// The argument checks of the layer views' constructors. The generated models create a view on every property
/// access, so each check is a few comparisons; the messages are built only when one fails.
/// </summary>
internal static class ViewBounds
{
    /// <summary>Throws unless <paramref name="gradients"/> is laid out like <paramref name="parameters"/> (same length).</summary>
    public static void SameLength(int parameters, int gradients)
    {
        if (gradients != parameters)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The gradient buffer has {gradients} elements; expected {parameters}, like the parameters."), nameof(gradients));
    }

    /// <summary>Throws unless <paramref name="kind"/> is a defined normalization.</summary>
    public static void Defined(Norm kind, string parameterName)
    {
        if (kind is not (Norm.LayerNorm or Norm.RMSNorm or Norm.BatchNorm))
            throw new ArgumentOutOfRangeException(parameterName, kind, "The normalization must be LayerNorm, RMSNorm or BatchNorm.");
    }

    /// <summary>
    /// Whether <paramref name="count"/> elements starting at <paramref name="offset"/> lie inside a buffer of
    /// <paramref name="length"/>: the offset is in <c>[0, length − count]</c>. The sizes are 64-bit so that a product
    /// of widths cannot wrap into range.
    /// </summary>
    public static bool Fits(long count, long offset, int length) => offset >= 0 && offset + count <= length;

    /// <summary>The exception for a view that <see cref="Fits"/> refused, built only then.</summary>
    /// <param name="count">Elements the view covers.</param>
    /// <param name="offset">Where they start.</param>
    /// <param name="length">The buffer's length.</param>
    /// <param name="what">The view in words, e.g. <c>A 4×3 dense layer</c>.</param>
    /// <param name="unit">What the elements are, e.g. <c>parameters</c>.</param>
    /// <param name="offsetName">The constructor's parameter name for <paramref name="offset"/>.</param>
    public static ArgumentOutOfRangeException OutsideBuffer(long count, long offset, int length, string what, string unit, string offsetName)
        => new ArgumentOutOfRangeException(offsetName, offset, count > length
            ? string.Create(CultureInfo.InvariantCulture, $"{what} has {count:N0} {unit}; buffers of {length:N0} elements cannot hold them.")
            : string.Create(CultureInfo.InvariantCulture, $"{what} has {count:N0} {unit}; in buffers of {length:N0} elements its {offsetName} must lie in [0, {length - count:N0}]."));
}
