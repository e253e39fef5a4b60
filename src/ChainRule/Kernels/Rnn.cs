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
    /// <param name="x">Input sequences, <c>(B, T, F)</c>; NaN and ∞ are not refused but flow to <paramref name="y"/>.</param>
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
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the activation is neither Tanh nor ReLU.</exception>
    public static void Forward<T>(Span<T> y, Span<T> cache, ReadOnlySpan<T> x, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH,
        ReadOnlySpan<T> biasIH, ReadOnlySpan<T> biasHH, int batch, int steps, int inputs, int hidden, Activation activation, bool returnSequences)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckActivation(activation);
        var layout = new Layout(batch, steps, inputs, hidden);
        Recurrent.CheckForward(y.Length, cache.Length, x.Length, weightIH.Length, weightHH.Length, biasIH.Length, biasHH.Length, 1, layout.Length, Formula,
            batch, steps, inputs, hidden, returnSequences);
        Span<T> projection = layout.Projection(cache), states = layout.States(cache);
        Recurrent.Begin(layout.Input(cache), projection, states, x, weightIH, biasIH, batch, steps, inputs, hidden);
        var step = new ForwardStep<T>
        {
            AllProjections = projection, AllStates = states, Recurrent = layout.Work(cache), State = batch * hidden, Relu = activation == Activation.ReLU,
        };
        Recurrent.Forward<ForwardStep<T>, T>(ref step, step.Recurrent, states, weightHH, biasHH, batch, steps, hidden, hidden, batch * hidden);
        Recurrent.End(y, states, batch, steps, hidden, returnSequences);
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
    /// <param name="dy">Gradient of the output, shaped as the forward's <c>y</c>; NaN and ∞ are not refused but flow to the gradients.</param>
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
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, <paramref name="truncate"/> is negative, or the activation is neither Tanh nor ReLU.</exception>
    public static void Backward<T>(Span<T> dx, Span<T> dweightIH, Span<T> dweightHH, Span<T> dbiasIH, Span<T> dbiasHH, Span<double> hiddenGradientNorms,
        ReadOnlySpan<T> dy, Span<T> cache, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH,
        int batch, int steps, int inputs, int hidden, Activation activation, bool returnSequences, int truncate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckActivation(activation);
        var layout = new Layout(batch, steps, inputs, hidden);
        Recurrent.CheckBackward(dx.Length, dweightIH.Length, dweightHH.Length, dbiasIH.Length, dbiasHH.Length, hiddenGradientNorms.Length, dy.Length, cache.Length,
            weightIH.Length, weightHH.Length, 1, layout.Length, Formula, batch, steps, inputs, hidden, returnSequences, truncate);
        Span<T> projection = layout.Projection(cache), states = layout.States(cache);
        var step = new BackwardStep<T>
        {
            AllGradients = projection, AllStates = states, Carry = layout.Work(cache), WeightHH = weightHH, Batch = batch, Width = hidden,
            Relu = activation == Activation.ReLU,
        };
        int first = Recurrent.Backward<BackwardStep<T>, T>(ref step, hiddenGradientNorms, dy, steps, hidden, hidden, returnSequences, truncate);
        Recurrent.ParameterAndInputGradients(dx, dweightIH, dweightHH, dbiasIH, dbiasHH, projection, layout.Input(cache), states, weightIH,
            first, batch, steps, inputs, hidden, hidden);
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
    private ref struct ForwardStep<T> : IForwardStep<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> AllProjections, AllStates, Recurrent;
        public int State;
        public bool Relu;
        private Span<T> Hidden;
        private ReadOnlySpan<T> Projection;

        public void At(int t)
        {
            Projection = AllProjections.Slice(t * State, State);
            Hidden = AllStates.Slice((t + 1) * State, State);
        }

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
    private ref struct BackwardStep<T> : IBackwardStep<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> AllGradients, Carry;
        public ReadOnlySpan<T> AllStates, WeightHH;
        public int Batch, Width;
        public bool Relu;
        private Span<T> Gradient;
        private ReadOnlySpan<T> Hidden, Dy;
        private int DyStride;
        private double SumOfSquares;

        public void At(int t, ReadOnlySpan<T> dy, int dyStride)
        {
            int state = Batch * Width;
            Gradient = AllGradients.Slice(t * state, state);
            Hidden = AllStates.Slice((t + 1) * state, state);
            Dy = dy;
            DyStride = dyStride;
        }

        public double TakeSumOfSquares() => Recurrent.Take(ref SumOfSquares);

        public readonly void Detach() => Carry.Clear();

        public readonly void CarryBack(int t) => Dense.BackwardInput(Carry, Gradient, WeightHH, Batch, Width, Width);

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
                    TSimd.MultiplyAccumulate(ref squares, dh, dh);
                    TSimd h = TSimd.Load(ref hidden, s);
                    TSimd.Store(Relu ? TSimd.SelectGreaterThan(h, TSimd.Zero, dh, TSimd.Zero) : dh * (TSimd.One - h * h), ref gradient, s);
                }
            }
            SumOfSquares += double.CreateTruncating(TSimd.Sum(squares));
            return j;
        }
    }
}
