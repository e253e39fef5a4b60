using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ChainRule.Kernels;

/// <summary>
/// A one-layer Elman RNN with PyTorch's equations and parameter layout (<c>nn.RNN(batch_first=True)</c>,
/// <c>nonlinearity='tanh'</c> or <c>'relu'</c>): for each step <c>t</c>, with <c>h₋₁ = 0</c>,
/// <code>
/// h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)      act = tanh or ReLU
/// </code>
/// <c>W_ih</c> is <c>(H, F)</c> (<c>weight_ih_l0</c>), <c>W_hh</c> <c>(H, H)</c> (<c>weight_hh_l0</c>), the biases
/// <c>(H)</c> each, or both empty for <c>bias=False</c>. Input and output as <see cref="Lstm"/>'s.
/// </summary>
/// <remarks>
/// The passes are <see cref="Lstm"/>'s. The cache, <see cref="CacheLength"/> elements, holds time-major: the input
/// <c>xᵀ</c> <c>(T·B·F)</c>; the input projection <c>(T·B·H)</c>, over which the backward pass writes the
/// pre-activation gradients; the hidden states <c>h₋₁ … h_{T−1}</c> <c>((T+1)·B·H)</c>, the zero state first, from which
/// the backward pass takes the activation's derivative (<c>1 − h²</c>, or <c>h &gt; 0</c>); and <c>B·H</c> of work
/// space. <see cref="Backward{T}"/> consumes it.
/// </remarks>
public static class Rnn
{
    private const string Formula = "B·(T·(F + 2H) + 2H)";

    /// <summary>
    /// Elements of the cache that <see cref="Forward{T}"/> fills and <see cref="Backward{T}"/> reads:
    /// <c>B·(T·(F + 2H) + 2H)</c>.
    /// </summary>
    /// <param name="batch">Sequences <c>B</c>.</param>
    /// <param name="steps">Steps per sequence <c>T</c>.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <returns>The length, computed in 64 bits and refused beyond <see cref="Array.MaxLength"/>.</returns>
    public static int CacheLength(int batch, int steps, int inputs, int hidden)
    {
        Recurrent.CheckSizes(batch, steps, inputs, hidden);
        return Recurrent.CacheLength(new Layout(batch, steps, inputs, hidden).Length, Formula);
    }

    /// <summary>
    /// Runs the RNN over <paramref name="x"/> from the zero state, writing <paramref name="y"/> and the cache.
    /// Nothing is written when an argument is refused.
    /// </summary>
    /// <param name="y">Output: <c>h_t</c> for every step, <c>(B, T, H)</c>, with <paramref name="returnSequences"/>; else <c>h_{T−1}</c>, <c>(B, H)</c>.</param>
    /// <param name="cache">Scratch kept for the backward pass, <see cref="CacheLength"/> elements; must not overlap the other spans.</param>
    /// <param name="x">Input sequences, <c>(B, T, F)</c>; must be finite.</param>
    /// <param name="weightIH"><c>W_ih</c>, <c>(H, F)</c>.</param>
    /// <param name="weightHH"><c>W_hh</c>, <c>(H, H)</c>.</param>
    /// <param name="biasIH"><c>b_ih</c>, <c>(H)</c>, or empty for none.</param>
    /// <param name="biasHH"><c>b_hh</c>, <c>(H)</c>, or empty for none.</param>
    /// <param name="batch">Sequences <c>B</c>.</param>
    /// <param name="steps">Steps per sequence <c>T</c>.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="activation"><see cref="Activation.Tanh"/> or <see cref="Activation.ReLU"/>, the two PyTorch allows.</param>
    /// <param name="returnSequences">Output every step's hidden state rather than the last one's.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="x"/> holds NaN or ∞ (named by sample, step and feature).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the activation is neither Tanh nor ReLU.</exception>
    public static void Forward<T>(Span<T> y, Span<T> cache, ReadOnlySpan<T> x, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH,
        ReadOnlySpan<T> biasIH, ReadOnlySpan<T> biasHH, int batch, int steps, int inputs, int hidden, Activation activation, bool returnSequences)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Recurrent.CheckSizes(batch, steps, inputs, hidden);
        CheckActivation(activation);
        var layout = new Layout(batch, steps, inputs, hidden);
        Recurrent.CheckOutput(y.Length, batch, steps, hidden, returnSequences, nameof(y));
        Recurrent.CheckCache(cache.Length, layout.Length, Formula, nameof(cache));
        Recurrent.CheckSequence(x.Length, batch, steps, inputs, nameof(x), "(batch, steps, inputs)");
        Gemm.CheckLength(weightIH.Length, hidden, inputs, nameof(weightIH), "(hidden, inputs)");
        Gemm.CheckLength(weightHH.Length, hidden, hidden, nameof(weightHH), "(hidden, hidden)");
        Recurrent.CheckBias(biasIH.Length, hidden, nameof(biasIH));
        Recurrent.CheckBias(biasHH.Length, hidden, nameof(biasHH));
        Recurrent.CheckFinite(x, steps, inputs, nameof(x));

        int rows = steps * batch, state = batch * hidden;
        Span<T> inputCopy = layout.Input(cache), projection = layout.Projection(cache), states = layout.States(cache);
        Span<T> recurrent = layout.Work(cache);
        Recurrent.ToTimeMajor(inputCopy, x, batch, steps, inputs);
        Dense.Forward(projection, inputCopy, weightIH, biasIH, rows, inputs, hidden);
        states[..state].Clear();
        for (int t = 0; t < steps; t++)
        {
            Dense.Forward(recurrent, states.Slice(t * state, state), weightHH, biasHH, batch, hidden, hidden);
            var step = new ForwardStep<T>
            {
                Projection = projection.Slice(t * state, state), Recurrent = recurrent, Hidden = states.Slice((t + 1) * state, state),
                Relu = activation == Activation.ReLU,
            };
            Simd.Run<ForwardStep<T>, T>(ref step, state);
        }
        if (returnSequences)
            Recurrent.ToBatchMajor(y, states[state..], batch, steps, hidden);
        else
            states.Slice(steps * state, state).CopyTo(y);
    }

    /// <summary>
    /// Backpropagation through time from <paramref name="dy"/> through the cache of the matching
    /// <see cref="Forward{T}"/>: parameter gradients accumulate (<c>+=</c>), the input gradient is overwritten.
    /// Nothing is written when an argument is refused.
    /// </summary>
    /// <param name="dx">Gradient of the input, <c>(B, T, F)</c>, overwritten; or empty when not needed (a first layer).</param>
    /// <param name="dweightIH">Accumulated <c>∂L/∂W_ih</c>, <c>(H, F)</c>.</param>
    /// <param name="dweightHH">Accumulated <c>∂L/∂W_hh</c>, <c>(H, H)</c>.</param>
    /// <param name="dbiasIH">Accumulated <c>∂L/∂b_ih</c>, <c>(H)</c>, or empty for none.</param>
    /// <param name="dbiasHH">Accumulated <c>∂L/∂b_hh</c>, <c>(H)</c>, or empty for none.</param>
    /// <param name="hiddenGradientNorms"><inheritdoc cref="Lstm.Backward{T}" path="/param[@name='hiddenGradientNorms']"/></param>
    /// <param name="dy">Gradient of the output, shaped as the forward's <c>y</c>; must be finite.</param>
    /// <param name="cache">The forward pass's cache; consumed.</param>
    /// <param name="weightIH"><c>W_ih</c>, <c>(H, F)</c>, as in the forward pass.</param>
    /// <param name="weightHH"><c>W_hh</c>, <c>(H, H)</c>, as in the forward pass.</param>
    /// <param name="batch">Sequences <c>B</c>.</param>
    /// <param name="steps">Steps per sequence <c>T</c>.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="activation">As in the forward pass.</param>
    /// <param name="returnSequences">As in the forward pass.</param>
    /// <param name="truncate">
    /// <c>K</c>: backpropagate through the recurrence for the last <c>K</c> steps only, as if <c>h</c> were detached
    /// before step <c>T − K</c>; 0 or <c>K ≥ T</c> for full BPTT.
    /// </param>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="dy"/> holds NaN or ∞.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, <paramref name="truncate"/> is negative, or the activation is neither Tanh nor ReLU.</exception>
    public static void Backward<T>(Span<T> dx, Span<T> dweightIH, Span<T> dweightHH, Span<T> dbiasIH, Span<T> dbiasHH, Span<double> hiddenGradientNorms,
        ReadOnlySpan<T> dy, Span<T> cache, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH,
        int batch, int steps, int inputs, int hidden, Activation activation, bool returnSequences, int truncate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Recurrent.CheckSizes(batch, steps, inputs, hidden, truncate);
        CheckActivation(activation);
        var layout = new Layout(batch, steps, inputs, hidden);
        if (!dx.IsEmpty)
            Recurrent.CheckSequence(dx.Length, batch, steps, inputs, nameof(dx), "(batch, steps, inputs)");
        Gemm.CheckLength(dweightIH.Length, hidden, inputs, nameof(dweightIH), "(hidden, inputs)");
        Gemm.CheckLength(dweightHH.Length, hidden, hidden, nameof(dweightHH), "(hidden, hidden)");
        Recurrent.CheckBias(dbiasIH.Length, hidden, nameof(dbiasIH));
        Recurrent.CheckBias(dbiasHH.Length, hidden, nameof(dbiasHH));
        Recurrent.CheckNorms(hiddenGradientNorms.Length, steps, nameof(hiddenGradientNorms));
        Recurrent.CheckOutput(dy.Length, batch, steps, hidden, returnSequences, nameof(dy));
        Recurrent.CheckCache(cache.Length, layout.Length, Formula, nameof(cache));
        Gemm.CheckLength(weightIH.Length, hidden, inputs, nameof(weightIH), "(hidden, inputs)");
        Gemm.CheckLength(weightHH.Length, hidden, hidden, nameof(weightHH), "(hidden, hidden)");
        Recurrent.CheckFinite(dy, returnSequences ? steps : 1, hidden, nameof(dy));

        int state = batch * hidden;
        Span<T> inputCopy = layout.Input(cache), projection = layout.Projection(cache), states = layout.States(cache);
        Span<T> carry = layout.Work(cache);
        carry.Clear();
        int first = Recurrent.FirstStepWithGradient(steps, truncate, returnSequences), cut = Recurrent.CutStep(steps, truncate);
        if (!hiddenGradientNorms.IsEmpty)
            hiddenGradientNorms[..first].Clear();
        for (int t = steps - 1; t >= first; t--)
        {
            bool output = returnSequences || t == steps - 1;
            var step = new BackwardStep<T>
            {
                Gradient = projection.Slice(t * state, state), Carry = carry, Hidden = states.Slice((t + 1) * state, state),
                Dy = !output ? default : returnSequences ? dy[(t * hidden)..] : dy, DyStride = returnSequences ? steps * hidden : hidden,
                Batch = batch, Width = hidden, Relu = activation == Activation.ReLU,
            };
            Simd.Run<BackwardStep<T>, T>(ref step, hidden);
            if (!hiddenGradientNorms.IsEmpty)
                hiddenGradientNorms[t] = Math.Sqrt(step.SumOfSquares);
            if (t == first)
                break;
            if (t == cut)
                carry.Clear(); // the detached state: nothing from here reaches step t − 1
            else
                Dense.BackwardInput(carry, projection.Slice(t * state, state), weightHH, batch, hidden, hidden);
        }

        int rows = (steps - first) * batch;
        ReadOnlySpan<T> dpre = projection.Slice(first * state, rows * hidden);
        Span<T> input = inputCopy.Slice(first * batch * inputs, rows * inputs);
        Dense.BackwardParameters(dweightIH, dbiasIH, dpre, input, rows, inputs, hidden);
        // Step t read h_{t−1}, which is block t of the states (block 0 the zero state).
        Dense.BackwardParameters(dweightHH, dbiasHH, dpre, states.Slice(first * state, rows * hidden), rows, hidden, hidden);
        if (!dx.IsEmpty)
        {
            inputCopy[..(first * batch * inputs)].Clear();
            Dense.BackwardInput(input, dpre, weightIH, rows, inputs, hidden);
            Recurrent.ToBatchMajor(dx, inputCopy, batch, steps, inputs);
        }
    }

    private static void CheckActivation(Activation activation)
    {
        if (activation is not (Activation.Tanh or Activation.ReLU))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "An RNN's nonlinearity is Tanh or ReLU, as PyTorch's nn.RNN allows.");
    }

    /// <summary>Offsets of the cache's parts; see the remarks on <see cref="Rnn"/>.</summary>
    private readonly struct Layout(int batch, int steps, int inputs, int hidden)
    {
        private long InputLength => (long)steps * batch * inputs;
        private long ProjectionLength => (long)steps * batch * hidden;
        private long StateLength => (long)(steps + 1) * batch * hidden;
        private long WorkLength => (long)batch * hidden;

        public long Length => InputLength + ProjectionLength + StateLength + WorkLength;

        public Span<T> Input<T>(Span<T> cache) => cache[..(int)InputLength];
        public Span<T> Projection<T>(Span<T> cache) => cache.Slice((int)InputLength, (int)ProjectionLength);
        public Span<T> States<T>(Span<T> cache) => cache.Slice((int)(InputLength + ProjectionLength), (int)StateLength);
        public Span<T> Work<T>(Span<T> cache) => cache.Slice((int)(InputLength + ProjectionLength + StateLength), (int)WorkLength);
    }

    /// <summary><c>h = act(projection + recurrent)</c> over the step's whole <c>(B, H)</c> block, which is contiguous.</summary>
    private ref struct ForwardStep<T> : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Hidden;
        public ReadOnlySpan<T> Projection, Recurrent;
        public bool Relu;

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T projection = ref MemoryMarshal.GetReference(Projection);
            ref T recurrent = ref MemoryMarshal.GetReference(Recurrent);
            ref T hidden = ref MemoryMarshal.GetReference(Hidden);
            int j = start;
            for (; j <= end - TSimd.Count; j += TSimd.Count)
            {
                nuint s = (nuint)j;
                TSimd pre = TSimd.Load(ref projection, s) + TSimd.Load(ref recurrent, s);
                TSimd.Store(Relu ? TSimd.Max(pre, TSimd.Zero) : Kernels.Recurrent.Tanh<TSimd, T>(pre), ref hidden, s);
            }
            return j;
        }
    }

    /// <summary>
    /// One backward step for the whole batch, from <c>dh = dy_t + carried dh</c> (its squares summed for the step's
    /// norm): the pre-activation gradient <c>dh ⊙ (1 − h²)</c> for tanh, <c>h &gt; 0 ? dh : 0</c> for ReLU.
    /// </summary>
    private ref struct BackwardStep<T> : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Gradient;
        public ReadOnlySpan<T> Carry, Hidden, Dy;
        public int Batch, Width, DyStride;
        public bool Relu;
        public double SumOfSquares;

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T gradient = ref MemoryMarshal.GetReference(Gradient);
            ref T carry = ref MemoryMarshal.GetReference(Carry);
            ref T hidden = ref MemoryMarshal.GetReference(Hidden);
            ref T dy = ref MemoryMarshal.GetReference(Dy);
            bool output = !Dy.IsEmpty;
            TSimd squares = TSimd.Zero;
            int j = start;
            for (int b = 0; b < Batch; b++)
            {
                nuint stateRow = (nuint)b * (nuint)Width, dyRow = (nuint)b * (nuint)DyStride;
                for (j = start; j <= end - TSimd.Count; j += TSimd.Count)
                {
                    nuint s = stateRow + (nuint)j;
                    TSimd dh = TSimd.Load(ref carry, s);
                    if (output)
                        dh += TSimd.Load(ref dy, dyRow + (nuint)j);
                    squares = TSimd.MultiplyAdd(dh, dh, squares);
                    TSimd h = TSimd.Load(ref hidden, s);
                    TSimd.Store(Relu ? TSimd.SelectGreaterThan(h, TSimd.Zero, dh, TSimd.Zero) : dh * (TSimd.One - h * h), ref gradient, s);
                }
            }
            SumOfSquares += double.CreateTruncating(TSimd.Sum(squares));
            return j;
        }
    }
}
