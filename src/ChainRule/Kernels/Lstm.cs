using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ChainRule.Kernels;

/// <summary>
/// A one-layer LSTM with PyTorch's equations, gate order and parameter layout (<c>nn.LSTM(batch_first=True)</c>):
/// for each step <c>t</c>, with <c>h₋₁ = c₋₁ = 0</c>,
/// <code>
/// [i f g o] = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh       (each H wide, in that order)
/// i, f, o = σ(·)     g = tanh(·)
/// c_t = f ⊙ c_{t−1} + i ⊙ g         h_t = o ⊙ tanh(c_t)
/// </code>
/// <c>W_ih</c> is <c>(4H, F)</c> (<c>weight_ih_l0</c>), <c>W_hh</c> <c>(4H, H)</c> (<c>weight_hh_l0</c>), the biases
/// <c>(4H)</c> each (<c>bias_ih_l0</c>, <c>bias_hh_l0</c>), or both empty for <c>bias=False</c>. The input is
/// batch-major <c>(B, T, F)</c>; the output every step's <c>h_t</c> as <c>(B, T, H)</c> (<c>returnSequences</c>) or
/// the last, <c>h_{T−1}</c>, as <c>(B, H)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The forward pass projects the input for all steps as one matrix product, then per step runs the recurrent
/// product <c>h_{t−1} W_hhᵀ + b_hh</c> and one fused pass that adds it, applies the four nonlinearities and updates
/// the cell and hidden state. The backward pass is backpropagation through time, optionally truncated (see
/// <c>truncate</c>): per step one fused pass from <c>∂L/∂h_t</c>, <c>∂L/∂c_t</c> to the gates' pre-activation
/// gradients, and one product carrying <c>∂L/∂h_{t−1}</c> back; then the weight gradients of all steps as one product
/// each, and the input gradient as one product.
/// </para>
/// <para>
/// The cache, <see cref="CacheLength"/> elements, holds time-major (<c>(T, B, ·)</c>, see <see cref="Recurrent"/>):
/// the input <c>xᵀ</c> <c>(T·B·F)</c>; the activated gates <c>[i f g o]</c> <c>(T·B·4H)</c>; the cell states
/// <c>c₋₁ … c_{T−1}</c> and hidden states <c>h₋₁ … h_{T−1}</c>, <c>((T+1)·B·H)</c> each with the zero initial state
/// first; and <c>B·4H</c> of work space (the step's recurrent product, then the backward pass's carried
/// <c>∂L/∂h</c> and <c>∂L/∂c</c>). <see cref="Backward{T}"/> consumes it: it overwrites the gates with their
/// gradients and the input copy with the input's gradient, so each forward pass feeds one backward pass.
/// </para>
/// </remarks>
public static class Lstm
{
    private const int GateCount = 4;

    /// <summary>
    /// Elements of the cache that <see cref="Forward{T}"/> fills and <see cref="Backward{T}"/> reads:
    /// <c>B·(T·(F + 6H) + 6H)</c>.
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

    private const string Formula = "B·(T·(F + 6H) + 6H)";

    /// <summary>
    /// Runs the LSTM over <paramref name="x"/> from the zero state, writing <paramref name="y"/> and the cache.
    /// Nothing is written when an argument is refused.
    /// </summary>
    /// <param name="y">Output: <c>h_t</c> for every step, <c>(B, T, H)</c>, with <paramref name="returnSequences"/>; else <c>h_{T−1}</c>, <c>(B, H)</c>.</param>
    /// <param name="cache">Scratch kept for the backward pass, <see cref="CacheLength"/> elements; must not overlap the other spans.</param>
    /// <param name="x">Input sequences, <c>(B, T, F)</c>; NaN and ∞ are not refused but flow to <paramref name="y"/>.</param>
    /// <param name="weightIH"><c>W_ih</c>, <c>(4H, F)</c>, rows in gate order i, f, g, o.</param>
    /// <param name="weightHH"><c>W_hh</c>, <c>(4H, H)</c>.</param>
    /// <param name="biasIH"><c>b_ih</c>, <c>(4H)</c>, or empty for none.</param>
    /// <param name="biasHH"><c>b_hh</c>, <c>(4H)</c>, or empty for none.</param>
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
        Span<T> cells = layout.Cells(cache);
        cells[..(batch * hidden)].Clear();
        var step = new ForwardStep<T> { AllGates = gates, AllCells = cells, AllStates = states, Recurrent = layout.Work(cache), Batch = batch, Width = hidden };
        Recurrent.Forward<ForwardStep<T>, T>(ref step, step.Recurrent, states, weightHH, biasHH, batch, steps, hidden, GateCount * hidden, hidden);
        Recurrent.End(y, states, batch, steps, hidden, returnSequences);
    }

    /// <summary>
    /// Backpropagation through time from <paramref name="dy"/> through the cache of the matching
    /// <see cref="Forward{T}"/>: parameter gradients accumulate (<c>+=</c>, as PyTorch's), the input gradient is
    /// overwritten. Nothing is written when an argument is refused.
    /// </summary>
    /// <param name="dx">Gradient of the input, <c>(B, T, F)</c>, overwritten; or empty when not needed (a first layer).</param>
    /// <param name="dweightIH">Accumulated <c>∂L/∂W_ih</c>, <c>(4H, F)</c>.</param>
    /// <param name="dweightHH">Accumulated <c>∂L/∂W_hh</c>, <c>(4H, H)</c>.</param>
    /// <param name="dbiasIH">Accumulated <c>∂L/∂b_ih</c>, <c>(4H)</c>, or empty for none.</param>
    /// <param name="dbiasHH">Accumulated <c>∂L/∂b_hh</c>, <c>(4H)</c>, or empty for none.</param>
    /// <param name="hiddenGradientNorms">
    /// Empty, or <c>(T)</c>: receives <c>‖∂L/∂h_t‖</c> (L2 over the batch and the hidden units) for every step, the total
    /// gradient reaching <c>h_t</c> from the output at step <c>t</c> and from step <c>t + 1</c>; 0 for steps that the
    /// truncation leaves without gradient.
    /// </param>
    /// <param name="dy">Gradient of the output, shaped as the forward's <c>y</c>; NaN and ∞ are not refused but flow to the gradients.</param>
    /// <param name="cache">The forward pass's cache; consumed (see the remarks on <see cref="Lstm"/>).</param>
    /// <param name="weightIH"><c>W_ih</c>, <c>(4H, F)</c>, as in the forward pass.</param>
    /// <param name="weightHH"><c>W_hh</c>, <c>(4H, H)</c>, as in the forward pass.</param>
    /// <param name="batch">Sequences <c>B</c>.</param>
    /// <param name="steps">Steps per sequence <c>T</c>.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="returnSequences">As in the forward pass.</param>
    /// <param name="truncate">
    /// <c>K</c>: backpropagate through the recurrence for the last <c>K</c> steps only, as if <c>h</c> and <c>c</c> were
    /// detached before step <c>T − K</c> (see <see cref="Recurrent"/>); 0 or <c>K ≥ T</c> for full BPTT.
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
        Span<T> gates = layout.Gates(cache), states = layout.States(cache), work = layout.Work(cache);
        int state = batch * hidden;
        var step = new BackwardStep<T>
        {
            AllGates = gates, AllCells = layout.Cells(cache), CarryHidden = work[..state], CarryCell = work.Slice(state, state), WeightHH = weightHH,
            Batch = batch, Width = hidden,
        };
        int first = Recurrent.Backward<BackwardStep<T>, T>(ref step, hiddenGradientNorms, dy, steps, hidden, hidden, returnSequences, truncate);
        Recurrent.ParameterAndInputGradients(dx, dweightIH, dweightHH, dbiasIH, dbiasHH, gates, layout.Input(cache), states, weightIH,
            first, batch, steps, inputs, hidden, GateCount * hidden);
    }

    /// <summary>Offsets of the cache's parts; see the remarks on <see cref="Lstm"/>.</summary>
    private readonly struct Layout(int batch, int steps, int inputs, int hidden)
    {
        private long InputLength => (long)steps * batch * inputs;
        private long GatesLength => (long)steps * batch * GateCount * hidden;
        private long StateLength => (long)(steps + 1) * batch * hidden;
        private long WorkLength => (long)batch * GateCount * hidden;

        public long Length => InputLength + GatesLength + 2 * StateLength + WorkLength;

        public Span<T> Input<T>(Span<T> cache) => cache[..(int)InputLength];
        public Span<T> Gates<T>(Span<T> cache) => cache.Slice((int)InputLength, (int)GatesLength);
        public Span<T> Cells<T>(Span<T> cache) => cache.Slice((int)(InputLength + GatesLength), (int)StateLength);
        public Span<T> States<T>(Span<T> cache) => cache.Slice((int)(InputLength + GatesLength + StateLength), (int)StateLength);
        public Span<T> Work<T>(Span<T> cache) => cache.Slice((int)(InputLength + GatesLength + 2 * StateLength), (int)WorkLength);
    }

    /// <summary>
    /// One step for the whole batch: <c>[i f g o] = act(gates + recurrent)</c> stored over the input projection in
    /// <see cref="Gates"/>, <c>c = f ⊙ c_{t−1} + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>.
    /// </summary>
    private ref struct ForwardStep<T> : IForwardStep<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> AllGates, AllCells, AllStates, Recurrent;
        public int Batch, Width;
        private Span<T> Gates, CellPrevious, Cell, Hidden;

        public void At(int t)
        {
            int state = Batch * Width;
            Gates = AllGates.Slice(t * 4 * state, 4 * state);
            CellPrevious = AllCells.Slice(t * state, state);
            Cell = AllCells.Slice((t + 1) * state, state);
            Hidden = AllStates.Slice((t + 1) * state, state);
        }

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T gates = ref MemoryMarshal.GetReference(Gates);
            ref T recurrent = ref MemoryMarshal.GetReference(Recurrent);
            ref T cellPrevious = ref MemoryMarshal.GetReference(CellPrevious);
            ref T cell = ref MemoryMarshal.GetReference(Cell);
            ref T hidden = ref MemoryMarshal.GetReference(Hidden);
            nuint h = (nuint)Width;
            int j = start;
            for (int b = 0; b < Batch; b++)
            {
                nuint row = (nuint)b * 4 * h, stateRow = (nuint)b * h;
                for (j = start; j <= end - TSimd.Count; j += TSimd.Count)
                {
                    nuint i = row + (nuint)j, s = stateRow + (nuint)j;
                    TSimd input = Kernels.Recurrent.Sigmoid<TSimd, T>(TSimd.Load(ref gates, i) + TSimd.Load(ref recurrent, i));
                    TSimd forget = Kernels.Recurrent.Sigmoid<TSimd, T>(TSimd.Load(ref gates, i + h) + TSimd.Load(ref recurrent, i + h));
                    TSimd candidate = Kernels.Recurrent.Tanh<TSimd, T>(TSimd.Load(ref gates, i + 2 * h) + TSimd.Load(ref recurrent, i + 2 * h));
                    TSimd output = Kernels.Recurrent.Sigmoid<TSimd, T>(TSimd.Load(ref gates, i + 3 * h) + TSimd.Load(ref recurrent, i + 3 * h));
                    TSimd c = forget * TSimd.Load(ref cellPrevious, s) + input * candidate;
                    TSimd.Store(input, ref gates, i);
                    TSimd.Store(forget, ref gates, i + h);
                    TSimd.Store(candidate, ref gates, i + 2 * h);
                    TSimd.Store(output, ref gates, i + 3 * h);
                    TSimd.Store(c, ref cell, s);
                    TSimd.Store(output * Kernels.Recurrent.Tanh<TSimd, T>(c), ref hidden, s);
                }
            }
            return j;
        }
    }

    /// <summary>
    /// One backward step for the whole batch, from <c>dh = dy_t + carried dh</c> (its squares summed for the step's
    /// norm) and the carried <c>dc</c>: with <c>τ = tanh(c_t)</c>,
    /// <c>dc_t = dc + dh ⊙ o ⊙ (1 − τ²)</c>, and the pre-activation gradients
    /// <c>di = dc_t ⊙ g ⊙ i(1 − i)</c>, <c>df = dc_t ⊙ c_{t−1} ⊙ f(1 − f)</c>, <c>dg = dc_t ⊙ i ⊙ (1 − g²)</c>,
    /// <c>do = dh ⊙ τ ⊙ o(1 − o)</c> stored over the gates; the carried <c>dc</c> becomes <c>dc_t ⊙ f</c>.
    /// </summary>
    private ref struct BackwardStep<T> : IBackwardStep<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> AllGates, CarryHidden, CarryCell;
        public ReadOnlySpan<T> AllCells, WeightHH;
        public int Batch, Width;
        private Span<T> Gates;
        private ReadOnlySpan<T> CellPrevious, Cell, Dy;
        private int DyStride;
        private double SumOfSquares;

        public void At(int t, ReadOnlySpan<T> dy, int dyStride)
        {
            int state = Batch * Width;
            Gates = AllGates.Slice(t * 4 * state, 4 * state);
            CellPrevious = AllCells.Slice(t * state, state);
            Cell = AllCells.Slice((t + 1) * state, state);
            Dy = dy;
            DyStride = dyStride;
        }

        public double TakeSumOfSquares() => Recurrent.Take(ref SumOfSquares);

        public readonly void Detach()
        {
            CarryHidden.Clear();
            CarryCell.Clear();
        }

        public readonly void CarryBack(int t) => Dense.BackwardInput(CarryHidden, Gates, WeightHH, Batch, Width, 4 * Width);

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T gates = ref MemoryMarshal.GetReference(Gates);
            ref T carryHidden = ref MemoryMarshal.GetReference(CarryHidden);
            ref T carryCell = ref MemoryMarshal.GetReference(CarryCell);
            ref T cellPrevious = ref MemoryMarshal.GetReference(CellPrevious);
            ref T cell = ref MemoryMarshal.GetReference(Cell);
            ref T dy = ref MemoryMarshal.GetReference(Dy);
            bool output = !Dy.IsEmpty;
            nuint h = (nuint)Width;
            TSimd squares = TSimd.Zero;
            int j = start;
            for (int b = 0; b < Batch; b++)
            {
                nuint row = (nuint)b * 4 * h, stateRow = (nuint)b * h, dyRow = (nuint)b * (nuint)DyStride;
                for (j = start; j <= end - TSimd.Count; j += TSimd.Count)
                {
                    nuint i = row + (nuint)j, s = stateRow + (nuint)j;
                    TSimd dh = TSimd.Load(ref carryHidden, s);
                    if (output)
                        dh += TSimd.Load(ref dy, dyRow + (nuint)j);
                    TSimd.MultiplyAccumulate(ref squares, dh, dh);
                    TSimd input = TSimd.Load(ref gates, i), forget = TSimd.Load(ref gates, i + h);
                    TSimd candidate = TSimd.Load(ref gates, i + 2 * h), outputGate = TSimd.Load(ref gates, i + 3 * h);
                    TSimd tau = Kernels.Recurrent.Tanh<TSimd, T>(TSimd.Load(ref cell, s));
                    TSimd dc = TSimd.Load(ref carryCell, s) + dh * outputGate * (TSimd.One - tau * tau);
                    TSimd.Store(dc * candidate * input * (TSimd.One - input), ref gates, i);
                    TSimd.Store(dc * TSimd.Load(ref cellPrevious, s) * forget * (TSimd.One - forget), ref gates, i + h);
                    TSimd.Store(dc * input * (TSimd.One - candidate * candidate), ref gates, i + 2 * h);
                    TSimd.Store(dh * tau * outputGate * (TSimd.One - outputGate), ref gates, i + 3 * h);
                    TSimd.Store(dc * forget, ref carryCell, s);
                }
            }
            SumOfSquares += double.CreateTruncating(TSimd.Sum(squares));
            return j;
        }
    }
}
