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
    /// <summary>
    /// The forward pass's checks, all before anything is written: sizes and every span's length (biases may be empty).
    /// Values are not checked, as by every kernel: NaN and ∞ flow to the output, where the model's trainer finds the
    /// layer that made them and refuses the step; a check here would throw midway through a step instead.
    /// </summary>
    public static void CheckForward(int y, int cache, int x, int weightIH, int weightHH, int biasIH, int biasHH,
        int gates, long cacheLength, string formula, int batch, int steps, int inputs, int hidden, bool returnSequences)
    {
        CheckSizes(batch, steps, inputs, hidden);
        CheckOutput(y, batch, steps, hidden, returnSequences, "y");
        CheckCache(cache, cacheLength, formula, "cache");
        CheckSequence(x, batch, steps, inputs, "x", "(batch, steps, inputs)");
        CheckWeights(weightIH, weightHH, gates, inputs, hidden, "weightIH", "weightHH");
        CheckBias(biasIH, gates * hidden, "biasIH");
        CheckBias(biasHH, gates * hidden, "biasHH");
    }

    /// <summary>The backward pass's checks, all before anything is written; <paramref name="dx"/> and the biases may be empty.</summary>
    public static void CheckBackward(int dx, int dweightIH, int dweightHH, int dbiasIH, int dbiasHH, int norms, int dy, int cache,
        int weightIH, int weightHH, int gates, long cacheLength, string formula, int batch, int steps, int inputs, int hidden, bool returnSequences, int truncate)
    {
        CheckSizes(batch, steps, inputs, hidden, truncate);
        if (dx != 0)
            CheckSequence(dx, batch, steps, inputs, "dx", "(batch, steps, inputs)");
        CheckWeights(dweightIH, dweightHH, gates, inputs, hidden, "dweightIH", "dweightHH");
        CheckBias(dbiasIH, gates * hidden, "dbiasIH");
        CheckBias(dbiasHH, gates * hidden, "dbiasHH");
        CheckNorms(norms, steps, "hiddenGradientNorms");
        CheckOutput(dy, batch, steps, hidden, returnSequences, "dy");
        CheckCache(cache, cacheLength, formula, "cache");
        CheckWeights(weightIH, weightHH, gates, inputs, hidden, "weightIH", "weightHH");
    }

    private static void CheckWeights(int weightIH, int weightHH, int gates, int inputs, int hidden, string nameIH, string nameHH)
    {
        (string ih, string hh) = gates switch
        {
            4 => ("(4·hidden, inputs)", "(4·hidden, hidden)"),
            3 => ("(3·hidden, inputs)", "(3·hidden, hidden)"),
            _ => ("(hidden, inputs)", "(hidden, hidden)"),
        };
        Gemm.CheckLength(weightIH, gates * hidden, inputs, nameIH, ih);
        Gemm.CheckLength(weightHH, gates * hidden, hidden, nameHH, hh);
    }

    /// <summary>
    /// What every forward pass starts with: the input copied time-major, projected for all steps as one product
    /// <c>projection = xᵀ W_ihᵀ + b_ih</c> <c>(T·B, G·H)</c>, and the zero initial state (block 0 of the states).
    /// </summary>
    public static void Begin<T>(Span<T> inputCopy, Span<T> projection, Span<T> states, ReadOnlySpan<T> x, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> biasIH,
        int batch, int steps, int inputs, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ToTimeMajor(inputCopy, x, batch, steps, inputs);
        Dense.Forward(projection, inputCopy, weightIH, biasIH, steps * batch, inputs, width);
        states[..(states.Length / (steps + 1))].Clear();
    }

    /// <summary>
    /// The time loop of a forward pass: per step the recurrent product <c>recurrent = h_{t−1} W_hhᵀ + b_hh</c>, then
    /// the kind's fused step over <paramref name="loopLength"/> columns.
    /// </summary>
    public static void Forward<TStep, T>(ref TStep step, Span<T> recurrent, ReadOnlySpan<T> states, ReadOnlySpan<T> weightHH, ReadOnlySpan<T> biasHH,
        int batch, int steps, int hidden, int width, int loopLength)
        where TStep : IForwardStep<T>, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int state = batch * hidden;
        for (int t = 0; t < steps; t++)
        {
            Dense.Forward(recurrent, states.Slice(t * state, state), weightHH, biasHH, batch, hidden, width);
            step.At(t);
            Simd.Run<TStep, T>(ref step, loopLength);
        }
    }

    /// <summary>The output from the states <c>h₋₁ … h_{T−1}</c>: every step's, batch-major, or the last one's.</summary>
    public static void End<T>(Span<T> y, ReadOnlySpan<T> states, int batch, int steps, int hidden, bool returnSequences)
    {
        int state = batch * hidden;
        if (returnSequences)
            ToBatchMajor(y, states[state..], batch, steps, hidden);
        else
            states.Slice(steps * state, state).CopyTo(y);
    }

    /// <summary>
    /// The time loop of a backward pass, from the last step down to <see cref="FirstStepWithGradient"/>: per step the
    /// kind's fused step (given step <c>t</c>'s rows of <paramref name="dy"/>, if it has an output), the norm of
    /// <c>∂L/∂h_t</c>, then either the detach at <see cref="CutStep"/> or the product carrying the gradient to step
    /// <c>t − 1</c>.
    /// </summary>
    /// <returns>The first step with gradient: the rows of the products over all steps start there.</returns>
    public static int Backward<TStep, T>(ref TStep step, Span<double> norms, ReadOnlySpan<T> dy, int steps, int hidden, int loopLength, bool returnSequences, int truncate)
        where TStep : IBackwardStep<T>, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int first = FirstStepWithGradient(steps, truncate, returnSequences), cut = CutStep(steps, truncate);
        if (!norms.IsEmpty)
            norms[..first].Clear();
        step.Detach();
        for (int t = steps - 1; t >= first; t--)
        {
            bool output = returnSequences || t == steps - 1;
            step.At(t, !output ? default : returnSequences ? dy[(t * hidden)..] : dy, returnSequences ? steps * hidden : hidden);
            Simd.Run<TStep, T>(ref step, loopLength);
            double squares = step.TakeSumOfSquares();
            if (!norms.IsEmpty)
                norms[t] = Math.Sqrt(squares);
            if (t == first)
                break;
            if (t == cut)
                step.Detach();
            else
                step.CarryBack(t);
        }
        return first;
    }

    /// <summary>
    /// The products over all steps with gradient (rows from step <paramref name="first"/>) for a kind whose two
    /// pre-activations have the same gradient <c>dpre</c> (LSTM, RNN): <c>dW_ih += dpreᵀ xᵀ</c>, <c>dW_hh += dpreᵀ h_{t−1}</c>,
    /// both biases <c>+= Σ dpre</c>, and <c>dx = dpre W_ih</c> (0 at steps without gradient) through the input copy.
    /// </summary>
    public static void ParameterAndInputGradients<T>(Span<T> dx, Span<T> dweightIH, Span<T> dweightHH, Span<T> dbiasIH, Span<T> dbiasHH,
        ReadOnlySpan<T> dpreAll, Span<T> inputCopy, ReadOnlySpan<T> states, ReadOnlySpan<T> weightIH, int first, int batch, int steps, int inputs, int hidden, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = (steps - first) * batch;
        ReadOnlySpan<T> dpre = dpreAll.Slice(first * batch * width, rows * width);
        Span<T> input = inputCopy.Slice(first * batch * inputs, rows * inputs);
        Dense.BackwardParameters(dweightIH, dbiasIH, dpre, input, rows, inputs, width);
        // Step t read h_{t−1}, which is block t of the states (block 0 the zero state).
        Dense.BackwardParameters(dweightHH, dbiasHH, dpre, states.Slice(first * batch * hidden, rows * hidden), rows, hidden, width);
        if (!dx.IsEmpty)
        {
            inputCopy[..(first * batch * inputs)].Clear();
            Dense.BackwardInput(input, dpre, weightIH, rows, inputs, width);
            ToBatchMajor(dx, inputCopy, batch, steps, inputs);
        }
    }

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

    /// <summary>Returns <paramref name="sum"/> and resets it to 0: a backward step's <see cref="IBackwardStep{T}.TakeSumOfSquares"/>.</summary>
    public static double Take(ref double sum)
    {
        double value = sum;
        sum = 0;
        return value;
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

/// <summary>A kind's fused forward step, pointed at step <c>t</c>'s blocks before each run.</summary>
internal interface IForwardStep<T> : IVectorLoop<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    void At(int t);
}

/// <summary>A kind's fused backward step and what it carries from step <c>t</c> to <c>t − 1</c>.</summary>
internal interface IBackwardStep<T> : IVectorLoop<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Points the loop at step <c>t</c>'s blocks and its rows of <c>dy</c> (empty without an output at <c>t</c>).</summary>
    void At(int t, ReadOnlySpan<T> dy, int dyStride);

    /// <summary>Σ (∂L/∂h_t)² summed by the last run, reset to 0.</summary>
    double TakeSumOfSquares();

    /// <summary>Clears the carried gradients: the start of the backward pass, and the detached state of truncation.</summary>
    void Detach();

    /// <summary>Carries <c>∂L/∂h_{t−1}</c> (through <c>W_hh</c>) from the gradients step <c>t</c> stored.</summary>
    void CarryBack(int t);
}

