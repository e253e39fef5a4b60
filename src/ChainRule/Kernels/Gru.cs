using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ChainRule.Kernels;

/// <summary>
/// A one-layer GRU with PyTorch's equations, gate order and parameter layout (<c>nn.GRU(batch_first=True)</c>):
/// for each step <c>t</c>, with <c>h₋₁ = 0</c>,
/// <code>
/// [a_r a_z a_n] = x_t W_ihᵀ + b_ih      [u_r u_z u_n] = h_{t−1} W_hhᵀ + b_hh      (each H wide, in that order)
/// r = σ(a_r + u_r)      z = σ(a_z + u_z)      n = tanh(a_n + r ⊙ u_n)
/// h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
/// </code>
/// so the reset gate multiplies <c>W_hn h + b_hn</c>, bias included, as PyTorch's (not the original paper's
/// <c>W_hn (r ⊙ h)</c>). <c>W_ih</c> is <c>(3H, F)</c> (<c>weight_ih_l0</c>), <c>W_hh</c> <c>(3H, H)</c>
/// (<c>weight_hh_l0</c>), the biases <c>(3H)</c> each, or both empty for <c>bias=False</c>. Input and output as
/// <see cref="Lstm"/>'s: <c>(B, T, F)</c> in, every step's <c>h_t</c> <c>(B, T, H)</c> or the last <c>(B, H)</c> out.
/// </summary>
/// <remarks>
/// <para>
/// The passes are <see cref="Lstm"/>'s: one product for the input projection of all steps; per step one recurrent
/// product and one fused pass; backward per step one fused pass and one product carrying <c>∂L/∂h_{t−1}</c>, then the
/// weight and input gradients of all steps as products. The gradient of <c>u = h W_hhᵀ + b_hh</c> differs from that of
/// <c>a = x W_ihᵀ + b_ih</c> in the n block (<c>∂L/∂u_n = r ⊙ ∂L/∂a_n</c>), so the backward pass keeps both:
/// <c>∂L/∂u</c> over the gates and <c>∂L/∂a_n</c> over <c>u_n</c>; <c>∂L/∂a_{r,z} = ∂L/∂u_{r,z}</c> is read from the
/// gates with a row stride.
/// </para>
/// <para>
/// The cache, <see cref="CacheLength"/> elements, holds time-major: the input <c>xᵀ</c> <c>(T·B·F)</c>; the activated
/// gates <c>[r z n]</c> <c>(T·B·3H)</c>; <c>u_n = W_hn h_{t−1} + b_hn</c> <c>(T·B·H)</c>, which the backward pass needs
/// for <c>∂L/∂r</c>; the hidden states <c>h₋₁ … h_{T−1}</c> <c>((T+1)·B·H)</c>, the zero state first; and <c>B·3H</c> of
/// work space. <see cref="Backward{T}"/> consumes it, as <see cref="Lstm.Backward{T}"/> does.
/// </para>
/// </remarks>
public static class Gru
{
    private const int GateCount = 3;

    private const string Formula = "B·(T·(F + 5H) + 4H)";

    /// <summary>
    /// Elements of the cache that <see cref="Forward{T}"/> fills and <see cref="Backward{T}"/> reads:
    /// <c>B·(T·(F + 5H) + 4H)</c>.
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
    /// Runs the GRU over <paramref name="x"/> from the zero state, writing <paramref name="y"/> and the cache.
    /// Nothing is written when an argument is refused.
    /// </summary>
    /// <param name="y">Output: <c>h_t</c> for every step, <c>(B, T, H)</c>, with <paramref name="returnSequences"/>; else <c>h_{T−1}</c>, <c>(B, H)</c>.</param>
    /// <param name="cache">Scratch kept for the backward pass, <see cref="CacheLength"/> elements; must not overlap the other spans.</param>
    /// <param name="x">Input sequences, <c>(B, T, F)</c>; NaN and ∞ are not refused but flow to <paramref name="y"/>.</param>
    /// <param name="weightIH"><c>W_ih</c>, <c>(3H, F)</c>, rows in gate order r, z, n.</param>
    /// <param name="weightHH"><c>W_hh</c>, <c>(3H, H)</c>.</param>
    /// <param name="biasIH"><c>b_ih</c>, <c>(3H)</c>, or empty for none.</param>
    /// <param name="biasHH"><c>b_hh</c>, <c>(3H)</c>, or empty for none.</param>
    /// <param name="batch">Sequences <c>B</c>.</param>
    /// <param name="steps">Steps per sequence <c>T</c>.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="returnSequences">Output every step's hidden state rather than the last one's.</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static void Forward<T>(Span<T> y, Span<T> cache, ReadOnlySpan<T> x, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH,
        ReadOnlySpan<T> biasIH, ReadOnlySpan<T> biasHH, int batch, int steps, int inputs, int hidden, bool returnSequences)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layout = new Layout(batch, steps, inputs, hidden);
        Recurrent.CheckForward(y.Length, cache.Length, x.Length, weightIH.Length, weightHH.Length, biasIH.Length, biasHH.Length, GateCount, layout.Length, Formula,
            batch, steps, inputs, hidden, returnSequences);
        Span<T> gates = layout.Gates(cache), states = layout.States(cache);
        Recurrent.Begin(layout.Input(cache), gates, states, x, weightIH, biasIH, batch, steps, inputs, GateCount * hidden);
        var step = new ForwardStep<T>
        {
            AllGates = gates, AllCandidates = layout.Candidates(cache), AllStates = states, Recurrent = layout.Work(cache), Batch = batch, Width = hidden,
        };
        Recurrent.Forward<ForwardStep<T>, T>(ref step, step.Recurrent, states, weightHH, biasHH, batch, steps, hidden, GateCount * hidden, hidden);
        Recurrent.End(y, states, batch, steps, hidden, returnSequences);
    }

    /// <summary>
    /// Backpropagation through time from <paramref name="dy"/> through the cache of the matching
    /// <see cref="Forward{T}"/>: parameter gradients accumulate (<c>+=</c>), the input gradient is overwritten.
    /// Nothing is written when an argument is refused.
    /// </summary>
    /// <param name="dx">Gradient of the input, <c>(B, T, F)</c>, overwritten; or empty when not needed (a first layer).</param>
    /// <param name="dweightIH">Accumulated <c>∂L/∂W_ih</c>, <c>(3H, F)</c>.</param>
    /// <param name="dweightHH">Accumulated <c>∂L/∂W_hh</c>, <c>(3H, H)</c>.</param>
    /// <param name="dbiasIH">Accumulated <c>∂L/∂b_ih</c>, <c>(3H)</c>, or empty for none.</param>
    /// <param name="dbiasHH">Accumulated <c>∂L/∂b_hh</c>, <c>(3H)</c>, or empty for none.</param>
    /// <param name="hiddenGradientNorms"><inheritdoc cref="Lstm.Backward{T}" path="/param[@name='hiddenGradientNorms']"/></param>
    /// <param name="dy">Gradient of the output, shaped as the forward's <c>y</c>; NaN and ∞ are not refused but flow to the gradients.</param>
    /// <param name="cache">The forward pass's cache; consumed.</param>
    /// <param name="weightIH"><c>W_ih</c>, <c>(3H, F)</c>, as in the forward pass.</param>
    /// <param name="weightHH"><c>W_hh</c>, <c>(3H, H)</c>, as in the forward pass.</param>
    /// <param name="batch">Sequences <c>B</c>.</param>
    /// <param name="steps">Steps per sequence <c>T</c>.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="returnSequences">As in the forward pass.</param>
    /// <param name="truncate">
    /// <c>K</c>: backpropagate through the recurrence for the last <c>K</c> steps only, as if <c>h</c> were detached
    /// before step <c>T − K</c>; 0 or <c>K ≥ T</c> for full BPTT.
    /// </param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or <paramref name="truncate"/> is negative.</exception>
    public static void Backward<T>(Span<T> dx, Span<T> dweightIH, Span<T> dweightHH, Span<T> dbiasIH, Span<T> dbiasHH, Span<double> hiddenGradientNorms,
        ReadOnlySpan<T> dy, Span<T> cache, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH,
        int batch, int steps, int inputs, int hidden, bool returnSequences, int truncate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layout = new Layout(batch, steps, inputs, hidden);
        Recurrent.CheckBackward(dx.Length, dweightIH.Length, dweightHH.Length, dbiasIH.Length, dbiasHH.Length, hiddenGradientNorms.Length, dy.Length, cache.Length,
            weightIH.Length, weightHH.Length, GateCount, layout.Length, Formula, batch, steps, inputs, hidden, returnSequences, truncate);
        int width = GateCount * hidden, state = batch * hidden;
        Span<T> inputCopy = layout.Input(cache), gates = layout.Gates(cache), candidates = layout.Candidates(cache), states = layout.States(cache);
        var step = new BackwardStep<T>
        {
            AllGates = gates, AllCandidates = candidates, AllStates = states, Carry = layout.Work(cache)[..state], WeightHH = weightHH, Batch = batch, Width = hidden,
        };
        int first = Recurrent.Backward<BackwardStep<T>, T>(ref step, hiddenGradientNorms, dy, steps, hidden, hidden, returnSequences, truncate);

        int rows = (steps - first) * batch, gated = 2 * hidden;
        ReadOnlySpan<T> drecurrent = gates.Slice(first * batch * width, rows * width);   // ∂L/∂u, (rows, 3H)
        ReadOnlySpan<T> dcandidate = candidates.Slice(first * state, rows * hidden);      // ∂L/∂a_n, (rows, H)
        Span<T> input = inputCopy.Slice(first * batch * inputs, rows * inputs);
        // Step t read h_{t−1}, which is block t of the states (block 0 the zero state).
        Dense.BackwardParameters(dweightHH, dbiasHH, drecurrent, states.Slice(first * state, rows * hidden), rows, hidden, width);
        // ∂L/∂a: the r and z columns of ∂L/∂u (row stride 3H), then ∂L/∂a_n.
        Gemm.BroadcastCore(dweightIH[..(gated * inputs)], drecurrent, input, gated, inputs, rows, aRowStride: 1, aDepthStride: width, accumulate: true);
        if (!dbiasIH.IsEmpty)
            Recurrent.AddColumnSums(dbiasIH[..gated], drecurrent, rows, width);
        Dense.BackwardParameters(dweightIH[(gated * inputs)..], dbiasIH.IsEmpty ? default : dbiasIH[gated..], dcandidate, input, rows, inputs, hidden);
        if (!dx.IsEmpty)
        {
            inputCopy[..(first * batch * inputs)].Clear();
            Gemm.BroadcastCore(input, drecurrent, weightIH[..(gated * inputs)], rows, inputs, gated, aRowStride: width, aDepthStride: 1, accumulate: false);
            Dense.BackwardInputAdd(input, dcandidate, weightIH[(gated * inputs)..], rows, inputs, hidden);
            Recurrent.ToBatchMajor(dx, inputCopy, batch, steps, inputs);
        }
    }

    /// <summary>Offsets of the cache's parts; see the remarks on <see cref="Gru"/>.</summary>
    private readonly struct Layout(int batch, int steps, int inputs, int hidden)
    {
        private long InputLength => (long)steps * batch * inputs;
        private long GatesLength => (long)steps * batch * GateCount * hidden;
        private long CandidateLength => (long)steps * batch * hidden;
        private long StateLength => (long)(steps + 1) * batch * hidden;
        private long WorkLength => (long)batch * GateCount * hidden;

        public long Length => InputLength + GatesLength + CandidateLength + StateLength + WorkLength;

        public Span<T> Input<T>(Span<T> cache) => cache[..(int)InputLength];
        public Span<T> Gates<T>(Span<T> cache) => cache.Slice((int)InputLength, (int)GatesLength);
        public Span<T> Candidates<T>(Span<T> cache) => cache.Slice((int)(InputLength + GatesLength), (int)CandidateLength);
        public Span<T> States<T>(Span<T> cache) => cache.Slice((int)(InputLength + GatesLength + CandidateLength), (int)StateLength);
        public Span<T> Work<T>(Span<T> cache) => cache.Slice((int)(InputLength + GatesLength + CandidateLength + StateLength), (int)WorkLength);
    }

    /// <summary>
    /// One step for the whole batch: <c>r, z = σ(a + u)</c>, <c>n = tanh(a_n + r ⊙ u_n)</c> stored over the input
    /// projection, <c>u_n</c> kept in <see cref="Candidate"/>, and <c>h = n + z ⊙ (h_{t−1} − n)</c>, PyTorch's form of
    /// <c>(1 − z) ⊙ n + z ⊙ h_{t−1}</c>.
    /// </summary>
    private ref struct ForwardStep<T> : IForwardStep<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> AllGates, AllCandidates, AllStates, Recurrent;
        public int Batch, Width;
        private Span<T> Gates, Candidate, Hidden;
        private ReadOnlySpan<T> HiddenPrevious;

        public void At(int t)
        {
            int state = Batch * Width;
            Gates = AllGates.Slice(t * 3 * state, 3 * state);
            Candidate = AllCandidates.Slice(t * state, state);
            HiddenPrevious = AllStates.Slice(t * state, state);
            Hidden = AllStates.Slice((t + 1) * state, state);
        }

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T gates = ref MemoryMarshal.GetReference(Gates);
            ref T recurrent = ref MemoryMarshal.GetReference(Recurrent);
            ref T candidate = ref MemoryMarshal.GetReference(Candidate);
            ref T hiddenPrevious = ref MemoryMarshal.GetReference(HiddenPrevious);
            ref T hidden = ref MemoryMarshal.GetReference(Hidden);
            nuint h = (nuint)Width;
            int j = start;
            for (int b = 0; b < Batch; b++)
            {
                nuint row = (nuint)b * 3 * h, stateRow = (nuint)b * h;
                for (j = start; j <= end - TSimd.Count; j += TSimd.Count)
                {
                    nuint i = row + (nuint)j, s = stateRow + (nuint)j;
                    TSimd reset = Kernels.Recurrent.Sigmoid<TSimd, T>(TSimd.Load(ref gates, i) + TSimd.Load(ref recurrent, i));
                    TSimd update = Kernels.Recurrent.Sigmoid<TSimd, T>(TSimd.Load(ref gates, i + h) + TSimd.Load(ref recurrent, i + h));
                    TSimd un = TSimd.Load(ref recurrent, i + 2 * h);
                    TSimd n = Kernels.Recurrent.Tanh<TSimd, T>(TSimd.Load(ref gates, i + 2 * h) + reset * un);
                    TSimd.Store(reset, ref gates, i);
                    TSimd.Store(update, ref gates, i + h);
                    TSimd.Store(n, ref gates, i + 2 * h);
                    TSimd.Store(un, ref candidate, s);
                    TSimd.Store(n + update * (TSimd.Load(ref hiddenPrevious, s) - n), ref hidden, s);
                }
            }
            return j;
        }
    }

    /// <summary>
    /// One backward step for the whole batch, from <c>dh = dy_t + carried dh</c> (its squares summed for the step's
    /// norm): <c>da_n = dh ⊙ (1 − z) ⊙ (1 − n²)</c>, <c>du_r = da_n ⊙ u_n ⊙ r(1 − r)</c>,
    /// <c>du_z = dh ⊙ (h_{t−1} − n) ⊙ z(1 − z)</c>, <c>du_n = da_n ⊙ r</c>; <c>[du_r du_z du_n]</c> stored over the
    /// gates, <c>da_n</c> over <c>u_n</c>, and the carry becomes the direct path <c>dh ⊙ z</c> (the product through
    /// <c>W_hh</c> is added after).
    /// </summary>
    private ref struct BackwardStep<T> : IBackwardStep<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> AllGates, AllCandidates, Carry;
        public ReadOnlySpan<T> AllStates, WeightHH;
        public int Batch, Width;
        private Span<T> Gates, Candidate;
        private ReadOnlySpan<T> HiddenPrevious, Dy;
        private int DyStride;
        private double SumOfSquares;

        public void At(int t, ReadOnlySpan<T> dy, int dyStride)
        {
            int state = Batch * Width;
            Gates = AllGates.Slice(t * 3 * state, 3 * state);
            Candidate = AllCandidates.Slice(t * state, state);
            HiddenPrevious = AllStates.Slice(t * state, state);
            Dy = dy;
            DyStride = dyStride;
        }

        public double TakeSumOfSquares() => Recurrent.Take(ref SumOfSquares);

        public readonly void Detach() => Carry.Clear();

        // The carry holds the direct path dh ⊙ z already; the path through the gates adds to it.
        public readonly void CarryBack(int t) => Dense.BackwardInputAdd(Carry, Gates, WeightHH, Batch, Width, 3 * Width);

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T gates = ref MemoryMarshal.GetReference(Gates);
            ref T candidate = ref MemoryMarshal.GetReference(Candidate);
            ref T carry = ref MemoryMarshal.GetReference(Carry);
            ref T hiddenPrevious = ref MemoryMarshal.GetReference(HiddenPrevious);
            ref T dy = ref MemoryMarshal.GetReference(Dy);
            bool output = !Dy.IsEmpty;
            nuint h = (nuint)Width;
            TSimd squares = TSimd.Zero;
            int j = start;
            for (int b = 0; b < Batch; b++)
            {
                nuint row = (nuint)b * 3 * h, stateRow = (nuint)b * h, dyRow = (nuint)b * (nuint)DyStride;
                for (j = start; j <= end - TSimd.Count; j += TSimd.Count)
                {
                    nuint i = row + (nuint)j, s = stateRow + (nuint)j;
                    TSimd dh = TSimd.Load(ref carry, s);
                    if (output)
                        dh += TSimd.Load(ref dy, dyRow + (nuint)j);
                    TSimd.MultiplyAccumulate(ref squares, dh, dh);
                    TSimd reset = TSimd.Load(ref gates, i), update = TSimd.Load(ref gates, i + h), n = TSimd.Load(ref gates, i + 2 * h);
                    TSimd dan = dh * (TSimd.One - update) * (TSimd.One - n * n);
                    TSimd.Store(dan * TSimd.Load(ref candidate, s) * reset * (TSimd.One - reset), ref gates, i);
                    TSimd.Store(dh * (TSimd.Load(ref hiddenPrevious, s) - n) * update * (TSimd.One - update), ref gates, i + h);
                    TSimd.Store(dan * reset, ref gates, i + 2 * h);
                    TSimd.Store(dan, ref candidate, s);
                    TSimd.Store(dh * update, ref carry, s);
                }
            }
            SumOfSquares += double.CreateTruncating(TSimd.Sum(squares));
            return j;
        }
    }
}
