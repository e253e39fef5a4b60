using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ChainRule.Training;

namespace ChainRule.Kernels;

// Elementwise activations, PyTorch's definitions. Every Forward is y = f(x), every Backward is dx = dy ⊙ f'(x),
// both overwriting their output; x is the pre-activation and y = f(x) the cached forward output, and each
// Backward reads whichever gives f' more cheaply. All spans have the same length. A Forward may run in place
// (y = x); a Backward's dx must not overlap dy, x or y unless its remarks say otherwise.

/// <summary>Logistic sigmoid, <c>y = 1/(1 + e^(−x))</c>.</summary>
public static class Sigmoid
{
    /// <summary><c>y = 1/(1 + e^(−x))</c>.</summary>
    /// <param name="y">Output.</param>
    /// <param name="x">Pre-activation.</param>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(y.Length, x.Length);
        TensorPrimitives.Sigmoid(x, y);
    }

    /// <summary><c>dx = dy · y · (1 − y)</c>, from the forward output <c>y</c>.</summary>
    /// <param name="dx">Gradient of the pre-activation.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Pre-activation (unused).</param>
    /// <param name="y">Forward output.</param>
    /// <remarks>Elementwise in one pass, so <paramref name="dx"/> may be <paramref name="dy"/>.</remarks>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(dx.Length, dy.Length, x.Length, y.Length);
        Elementwise.Map<BackwardOperator<T>, T>(dx, dy, y);
    }

    private readonly struct BackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static TSimd Invoke<TSimd>(TSimd dy, TSimd y) where TSimd : struct, ISimd<TSimd, T>
            => dy * y * (TSimd.One - y);
    }
}

/// <summary>Hyperbolic tangent, <c>y = tanh(x)</c>.</summary>
public static class Tanh
{
    /// <summary><c>y = tanh(x)</c>.</summary>
    /// <param name="y">Output.</param>
    /// <param name="x">Pre-activation.</param>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(y.Length, x.Length);
        TensorPrimitives.Tanh(x, y);
    }

    /// <summary><c>dx = dy · (1 − y²)</c>, from the forward output <c>y</c>.</summary>
    /// <param name="dx">Gradient of the pre-activation.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Pre-activation (unused).</param>
    /// <param name="y">Forward output.</param>
    /// <remarks>Elementwise in one pass, so <paramref name="dx"/> may be <paramref name="dy"/>.</remarks>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(dx.Length, dy.Length, x.Length, y.Length);
        Elementwise.Map<BackwardOperator<T>, T>(dx, dy, y);
    }

    private readonly struct BackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static TSimd Invoke<TSimd>(TSimd dy, TSimd y) where TSimd : struct, ISimd<TSimd, T>
            => dy * (TSimd.One - y * y);
    }
}

/// <summary>Rectified linear unit, <c>y = max(x, 0)</c>.</summary>
public static class Relu
{
    /// <summary><c>y = max(x, 0)</c> (NaN stays NaN), counting the dead outputs <c>y = 0</c> in the same pass.</summary>
    /// <param name="y">Output.</param>
    /// <param name="x">Pre-activation.</param>
    /// <returns>
    /// <c>#{i : y[i] = 0}</c>, i.e. <c>#{i : x[i] ≤ 0}</c> (NaN not counted): over a batch, the numerator of the
    /// layer's dead-unit fraction. Callers that do not track dead units may ignore it.
    /// </returns>
    public static int Forward<T>(Span<T> y, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(y.Length, x.Length);
        return Elementwise.MapCountNonPositive<ForwardOperator<T>, T>(y, x);
    }

    /// <summary><c>dx = x &gt; 0 ? dy : 0</c> (the subgradient at 0 is 0, as in PyTorch).</summary>
    /// <param name="dx">Gradient of the pre-activation.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Pre-activation, or the forward output in place of it (positive at exactly the same places).</param>
    /// <param name="y">Forward output (unused).</param>
    /// <remarks>Elementwise in one pass, so <paramref name="dx"/> may be <paramref name="dy"/>.</remarks>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(dx.Length, dy.Length, x.Length, y.Length);
        Elementwise.Map<BackwardOperator<T>, T>(dx, dy, x);
    }

    private readonly struct ForwardOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Compiled on its own, like the product's micro-tile: inlined into Map's loop, the exponential and the
        // polynomial used up the JIT's inlining budget and the rest of the body ran as calls, 2.4× slower than the one
        // call per register this costs (64 K floats: 0.35 → 0.14 ms on Zen 3). The backward, inlined, is not affected.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static TSimd Invoke<TSimd>(TSimd x) where TSimd : struct, ISimd<TSimd, T>
            => TSimd.Max(x, TSimd.Zero);
    }

    private readonly struct BackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static TSimd Invoke<TSimd>(TSimd dy, TSimd x) where TSimd : struct, ISimd<TSimd, T>
            => TSimd.SelectGreaterThan(x, TSimd.Zero, dy, TSimd.Zero);
    }
}

/// <summary>Leaky ReLU with PyTorch's default slope 0.01: <c>y = x &gt; 0 ? x : 0.01·x</c>.</summary>
public static class LeakyRelu
{
    /// <summary>The slope for negative inputs, PyTorch's default <c>negative_slope</c>.</summary>
    public const double NegativeSlope = 0.01;

    /// <summary><c>y = x &gt; 0 ? x : 0.01·x</c>, counting the units in the leaky regime in the same pass.</summary>
    /// <param name="y">Output.</param>
    /// <param name="x">Pre-activation.</param>
    /// <returns>
    /// <c>#{i : x[i] ≤ 0}</c> (NaN not counted): the outputs on the 0.01 slope, which a leaky unit never leaves
    /// when it is "dead". Callers that do not track dead units may ignore it.
    /// </returns>
    public static int Forward<T>(Span<T> y, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(y.Length, x.Length);
        return Elementwise.MapCountNonPositive<ForwardOperator<T>, T>(y, x);
    }

    /// <summary><c>dx = x &gt; 0 ? dy : 0.01·dy</c>.</summary>
    /// <param name="dx">Gradient of the pre-activation.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Pre-activation, or the forward output in place of it (positive at exactly the same places).</param>
    /// <param name="y">Forward output (unused).</param>
    /// <remarks>Elementwise in one pass, so <paramref name="dx"/> may be <paramref name="dy"/>.</remarks>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(dx.Length, dy.Length, x.Length, y.Length);
        Elementwise.Map<BackwardOperator<T>, T>(dx, dy, x);
    }

    private readonly struct ForwardOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly T Slope = T.CreateTruncating(NegativeSlope);

        public static TSimd Invoke<TSimd>(TSimd x) where TSimd : struct, ISimd<TSimd, T>
            => TSimd.SelectGreaterThan(x, TSimd.Zero, x, x * TSimd.Broadcast(Slope));
    }

    private readonly struct BackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly T Slope = T.CreateTruncating(NegativeSlope);

        public static TSimd Invoke<TSimd>(TSimd dy, TSimd x) where TSimd : struct, ISimd<TSimd, T>
            => TSimd.SelectGreaterThan(x, TSimd.Zero, dy, dy * TSimd.Broadcast(Slope));
    }
}

/// <summary>GELU in its exact form, <c>y = x·Φ(x) = x·½·(1 + erf(x/√2))</c>, as PyTorch's default <c>approximate='none'</c>.</summary>
/// <remarks>
/// Through <c>Φ(x) = ½·erfc(−x/√2)</c>, which keeps the relative accuracy of <c>Φ</c> for large negative <c>x</c>
/// where <c>1 + erf</c> would cancel. In double precision, per element with <see cref="ErrorFunction"/> (about
/// 1e-15). In single precision, vectorized: <c>erfc(z) = t·e^(−z² + P(t))</c>, <c>t = 1/(1 + |z|/2)</c>, with the
/// degree-9 Chebyshev fit <c>P</c> of Numerical Recipes (relative error below 1.2e-7 for every <c>z ≥ 0</c>) and
/// <c>erfc(−z) = 2 − erfc(z)</c>: within <c>8 + 1.5·x²</c> float ulps (a few near 0; the float <c>e^(−z²)</c> costs
/// more in the negative tail, some 120 ulps at x = −10), some fifty times faster than the scalar double path.
/// </remarks>
public static class Gelu
{
    private const double OneOverSqrtTwo = 0.70710678118654752;    // 1/√2
    private const double OneOverSqrtTwoPi = 0.39894228040143268;  // 1/√(2π)

    /// <summary><c>y = x·Φ(x)</c>, <c>Φ(x) = ½·(1 + erf(x/√2))</c>.</summary>
    /// <param name="y">Output.</param>
    /// <param name="x">Pre-activation.</param>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(y.Length, x.Length);
        if (typeof(T) == typeof(float))
        {
            Elementwise.Map<ForwardOperator<T>, T>(y, x);
            return;
        }
        for (int i = 0; i < y.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(v * NormalCdf(v));
        }
    }

    /// <summary><c>dx = dy · (Φ(x) + x·φ(x))</c>, <c>φ(x) = e^(−x²/2)/√(2π)</c>.</summary>
    /// <param name="dx">Gradient of the pre-activation.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Pre-activation.</param>
    /// <param name="y">Forward output (unused).</param>
    /// <remarks>Elementwise, so <paramref name="dx"/> may be <paramref name="dy"/>.</remarks>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(dx.Length, dy.Length, x.Length, y.Length);
        if (typeof(T) == typeof(float))
        {
            Elementwise.Map<BackwardOperator<T>, T>(dx, dy, x);
            return;
        }
        for (int i = 0; i < dx.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            double derivative = NormalCdf(v) + v * OneOverSqrtTwoPi * ErrorFunction.ExpMinusSquare(v * OneOverSqrtTwo);
            dx[i] = T.CreateTruncating(double.CreateTruncating(dy[i]) * derivative);
        }
    }

    /// <summary><c>Φ(x) = ½·erfc(−x/√2)</c>.</summary>
    private static double NormalCdf(double x) => 0.5 * ErrorFunction.Erfc(-x * OneOverSqrtTwo);

    /// <summary>
    /// <c>Φ(x)</c> for a register of <c>x</c> in single precision, and <c>e^(−x²/2)</c> for the derivative:
    /// <c>u = x/√2</c>, <c>t = 1/(1 + |u|/2)</c>, <c>E = t·e^(−u² + P(t)) = erfc(|u|)</c>, <c>Φ = u &gt; 0 ? 1 − E/2 : E/2</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TSimd NormalCdf<TSimd, T>(TSimd x, bool density, out TSimd expMinusHalfSquare)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TSimd u = x * TSimd.Broadcast(T.CreateTruncating(OneOverSqrtTwo));
        TSimd half = TSimd.Broadcast(T.CreateTruncating(0.5));
        TSimd t = TSimd.One / TSimd.MultiplyAdd(TSimd.Abs(u), half, TSimd.One);
        TSimd poly = TSimd.Broadcast(T.CreateTruncating(0.17087277));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(-0.82215223)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(1.48851587)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(-1.13520398)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(0.27886807)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(-0.18628806)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(0.09678418)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(0.37409196)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(1.00002368)));
        poly = TSimd.MultiplyAdd(poly, t, TSimd.Broadcast(T.CreateTruncating(-1.26551223)));
        TSimd minusSquare = TSimd.Zero - u * u;
        expMinusHalfSquare = density ? TSimd.Exp(minusSquare) : TSimd.Zero; // the forward needs no density
        TSimd tail = half * t * TSimd.Exp(minusSquare + poly); // ½·erfc(|u|)
        return TSimd.SelectGreaterThan(u, TSimd.Zero, TSimd.One - tail, tail);
    }

    private readonly struct ForwardOperator<T> : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Compiled on its own, like the product's micro-tile: inlined into Map's loop, the exponential and the
        // polynomial used up the JIT's inlining budget and the rest of the body ran as calls, 2.4× slower than the one
        // call per register this costs (64 K floats: 0.35 → 0.14 ms on Zen 3). The backward, inlined, is not affected.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static TSimd Invoke<TSimd>(TSimd x) where TSimd : struct, ISimd<TSimd, T>
            => x * NormalCdf<TSimd, T>(x, density: false, out _);
    }

    private readonly struct BackwardOperator<T> : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static TSimd Invoke<TSimd>(TSimd dy, TSimd x) where TSimd : struct, ISimd<TSimd, T>
        {
            TSimd cdf = NormalCdf<TSimd, T>(x, density: true, out TSimd expMinusHalfSquare);
            return dy * TSimd.MultiplyAdd(x * TSimd.Broadcast(T.CreateTruncating(OneOverSqrtTwoPi)), expMinusHalfSquare, cdf);
        }
    }
}

/// <summary>SiLU (swish), <c>y = x·σ(x)</c>.</summary>
public static class Silu
{
    /// <summary><c>y = x·σ(x) = x/(1 + e^(−x))</c>.</summary>
    /// <param name="y">Output.</param>
    /// <param name="x">Pre-activation.</param>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(y.Length, x.Length);
        if (y.Overlaps(x))
        {
            // σ(x) into y first would overwrite x; compute x·σ(x) element by element instead.
            for (int i = 0; i < y.Length; i++)
                y[i] = x[i] / (T.One + T.Exp(-x[i]));
            return;
        }
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(y, x, y);
    }

    /// <summary><c>dx = dy · σ(x)·(1 + x·(1 − σ(x)))</c>.</summary>
    /// <param name="dx">Gradient of the pre-activation.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Pre-activation.</param>
    /// <param name="y">Forward output (unused).</param>
    /// <remarks>
    /// Two passes, <c>σ(x)</c> into <paramref name="dx"/> and then the product; when <paramref name="dx"/> overlaps
    /// <paramref name="dy"/> or <paramref name="x"/> it falls back to one slower scalar pass.
    /// </remarks>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Activations.CheckLengths(dx.Length, dy.Length, x.Length, y.Length);
        if (dx.Overlaps(dy) || dx.Overlaps(x))
        {
            // σ(x) in dx would overwrite dy or x before they are read; go element by element instead.
            for (int i = 0; i < dx.Length; i++)
            {
                T sigmoid = T.One / (T.One + T.Exp(-x[i]));
                dx[i] = dy[i] * sigmoid * (T.One + x[i] * (T.One - sigmoid));
            }
            return;
        }
        TensorPrimitives.Sigmoid(x, dx);
        Elementwise.Map<BackwardOperator<T>, T>(dx, dy, x, dx);
    }

    private readonly struct BackwardOperator<T> : ITernaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static TSimd Invoke<TSimd>(TSimd dy, TSimd x, TSimd sigmoid) where TSimd : struct, ISimd<TSimd, T>
            => dy * sigmoid * TSimd.MultiplyAdd(x, TSimd.One - sigmoid, TSimd.One);
    }
}

internal static class Activations
{
    // Each message is built only on failure: the kernels run every step and must not allocate.
    public static void CheckLengths(int output, int input)
    {
        if (output != input) Guard.Length(output, input, $"({input}), like x", "y");
    }

    public static void CheckLengths(int dx, int dy, int x, int y)
    {
        if (dy != dx) Guard.Length(dy, dx, $"({dx}), like dx", nameof(dy));
        if (x != dx) Guard.Length(x, dx, $"({dx}), like dx", nameof(x));
        if (y != dx) Guard.Length(y, dx, $"({dx}), like dx", nameof(y));
    }
}
