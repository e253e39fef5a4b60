using System;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace ChainRule.Kernels;

/// <summary>
/// What <see cref="Lstm"/>, <see cref="Gru"/> and <see cref="Rnn"/> share: argument checks, the truncation rule, the
/// change between the callers' batch-major sequences and the time-major blocks the time loop works on, and the gate
/// nonlinearities written over <see cref="ISimd{TSelf, T}"/> so that a step's gates fuse into one pass.
/// </summary>
/// <remarks>
/// <para>
/// Why time-major inside: step <c>t</c>'s recurrent product <c>h_{t−1} W_hhᵀ</c> and its backward <c>dgates_t W_hh</c>
/// need the batch's rows of one step contiguous, as <c>(B, ·)</c> matrices, and so do the products over all steps at
/// the end of the backward pass (<c>dW_hh = Σ_t dgates_tᵀ h_{t−1}</c> as one product needs <c>dgates</c> and the
/// previous states in the same row order). One copy of the input into <c>(T, B, F)</c> gives all of that; it costs
/// <c>B·T·F</c> moves against <c>B·T·F·G·H</c> multiply-adds for the input projection.
/// </para>
/// <para>
/// Truncated backpropagation through time with <c>K</c> = <c>truncate</c> steps, <c>0 &lt; K &lt; T</c>, is defined as
/// PyTorch computes it when the state is detached before step <c>T − K</c>: run steps <c>0 … T−K−1</c>, then
/// <c>h = h.detach()</c> (and <c>c = c.detach()</c> for an LSTM), then steps <c>T−K … T−1</c>, and backpropagate. So
/// no gradient crosses from step <c>T − K</c> into the state it read; gradients of outputs at earlier steps (with
/// every-step outputs) still flow back through the earlier steps. With last-step output only, steps before
/// <c>T − K</c> receive no gradient at all and the backward pass skips them. <c>K = 0</c> or <c>K ≥ T</c> is full BPTT.
/// </para>
/// </remarks>
internal static class Recurrent
{
    /// <summary>Throws unless every size is positive and the truncation is not negative.</summary>
    public static void CheckSizes(int batch, int steps, int inputs, int hidden, int truncate = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentOutOfRangeException.ThrowIfNegative(truncate);
    }

    /// <summary>
    /// The step whose backward pass drops the gradient it would send to the state before it: <c>T − K</c> when
    /// truncated, else 0 (step 0's predecessor is the constant zero state, so there is nothing to drop).
    /// </summary>
    public static int CutStep(int steps, int truncate) => truncate == 0 || truncate >= steps ? 0 : steps - truncate;

    /// <summary>The first step that receives any gradient: 0 with every-step outputs, else <see cref="CutStep"/>.</summary>
    public static int FirstStepWithGradient(int steps, int truncate, bool returnSequences) => returnSequences ? 0 : CutStep(steps, truncate);

    /// <summary>Elements of the output: <c>B·T·H</c> with every step, <c>B·H</c> with the last.</summary>
    public static void CheckOutput(int length, int batch, int steps, int hidden, bool returnSequences, string parameterName)
    {
        if (returnSequences)
            CheckSequence(length, batch, steps, hidden, parameterName, "(batch, steps, hidden)");
        else
            Gemm.CheckLength(length, batch, hidden, parameterName, "(batch, hidden)");
    }

    /// <summary>Throws unless <paramref name="length"/> is <c>batch·steps·features</c>, computed in 64 bits.</summary>
    public static void CheckSequence(int length, int batch, int steps, int features, string parameterName, string shapeNames)
    {
        long expected = (long)batch * steps * features;
        if (expected > int.MaxValue)
            throw new ArgumentException($"Shape {shapeNames} = ({batch}, {steps}, {features}) has more than int.MaxValue elements.", parameterName);
        if (length != expected)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Expected {expected} elements, shape {shapeNames} = ({batch}, {steps}, {features}); got {length}."), parameterName);
    }

    /// <summary>Throws unless a bias is <c>(gates·hidden)</c> or empty (no bias).</summary>
    public static void CheckBias(int length, int outputs, string parameterName)
    {
        if (length != 0)
            Gemm.CheckLength(length, 1, outputs, parameterName, "(1, gates·hidden)");
    }

    /// <summary>Throws unless the cache is exactly <paramref name="expected"/> elements long.</summary>
    public static void CheckCache(int length, long expected, string formula, string parameterName)
    {
        if (length != expected)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Expected a cache of {expected} elements, {formula}; got {length}."), parameterName);
    }

    /// <summary>Throws unless the per-step norms span is empty or <c>steps</c> long.</summary>
    public static void CheckNorms(int length, int steps, string parameterName)
    {
        if (length != 0 && length != steps)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Expected {steps} elements (one per step) or none; got {length}."), parameterName);
    }

    /// <summary>A cache length in 64 bits, refused beyond <see cref="Array.MaxLength"/>.</summary>
    public static int CacheLength(long length, string formula)
    {
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"The cache, {formula}, would exceed Array.MaxLength elements.");
        return (int)length;
    }

    /// <summary>
    /// Throws unless every element of a <c>(batch, steps, features)</c> sequence is finite, naming the first that is
    /// not by sample, step and feature.
    /// </summary>
    public static void CheckFinite<T>(ReadOnlySpan<T> values, int steps, int features, string parameterName)
        where T : IFloatingPointIeee754<T>
    {
        // The vectorized check runs every call; the search only when it fails.
        if (TensorPrimitives.IsFiniteAll(values))
            return;
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
            {
                int sample = i / (steps * features), step = i / features % steps, feature = i % features;
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Element [sample {sample}, step {step}, feature {feature}] (index {i}) is {values[i]}; {parameterName} must be finite."), parameterName);
            }
        }
    }

    /// <summary><c>destination[t, b, :] = source[b, t, :]</c>: a <c>(B, T, F)</c> sequence to time-major <c>(T, B, F)</c>.</summary>
    public static void ToTimeMajor<T>(Span<T> destination, ReadOnlySpan<T> source, int batch, int steps, int features)
    {
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < steps; t++)
                source.Slice((b * steps + t) * features, features).CopyTo(destination.Slice((t * batch + b) * features, features));
    }

    /// <summary><c>destination[b, t, :] = source[t, b, :]</c>: time-major <c>(T, B, F)</c> back to a <c>(B, T, F)</c> sequence.</summary>
    public static void ToBatchMajor<T>(Span<T> destination, ReadOnlySpan<T> source, int batch, int steps, int features)
    {
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
                source.Slice((t * batch + b) * features, features).CopyTo(destination.Slice((b * steps + t) * features, features));
    }

    /// <summary>
    /// <c>sums[j] += Σ_r rows[r·rowStride + j]</c> for <c>j &lt; sums.Length</c>: a bias gradient from the first columns
    /// of wider rows (a GRU's r and z gates, whose rows also hold the n gate).
    /// </summary>
    public static void AddColumnSums<T>(Span<T> sums, ReadOnlySpan<T> rows, int count, int rowStride)
        where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < count; r++)
            TensorPrimitives.Add(sums, rows.Slice(r * rowStride, sums.Length), sums);
    }

    /// <summary><c>σ(x) = 1/(1 + e^(−x))</c>; saturates to exactly 0 and 1, NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TSimd Sigmoid<TSimd, T>(TSimd x)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
        => TSimd.One / (TSimd.One + TSimd.Exp(TSimd.Zero - x));

    /// <summary>
    /// <c>tanh(x) = 1 − 2/(e^(2x) + 1)</c>: one exponential, saturating to exactly ±1 (e^(2x) overflowing to ∞ gives 1).
    /// Near 0 its error is a few ulps of 1 rather than of <c>x</c>, absolutely below 1e-15 in double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TSimd Tanh<TSimd, T>(TSimd x)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TSimd two = TSimd.One + TSimd.One;
        return TSimd.One - two / (TSimd.Exp(two * x) + TSimd.One);
    }
}
