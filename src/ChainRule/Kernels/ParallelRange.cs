using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Threading;

namespace ChainRule.Kernels;

/// <summary>An elementwise pass over <c>[0, length)</c> whose parts are independent of one another.</summary>
internal interface IRangePass
{
    /// <summary>Runs the pass over elements <c>[start, end)</c>, part number <paramref name="part"/> (0 when not split).</summary>
    void Run(int part, int start, int end);
}

/// <summary>
/// Splits a long elementwise pass (the optimizer's update, clipping, clearing the gradients) across the
/// <see cref="Gemm.ThreadCount"/> threads of the worker pool, in contiguous parts that start on whole cache lines.
/// Memory-bound passes over long buffers gain from a second core's bandwidth and from the part of the gradients that
/// core's half of the products left in its cache.
/// </summary>
internal static class ParallelRange
{
    /// <summary>
    /// Elements from which a pass (the optimizer's update, clipping, clearing) is split: 128 K, past one core's L2 (512 KB
    /// of float on a Zen 3). A step split by rows leaves each half of its summed gradients in the cache of the core that
    /// summed it (<see cref="Training.BatchSplit{T, TTarget}"/>), the half this split hands that core: on a 2-core Zen 3,
    /// W1's 270 K-parameter SGD step then took its 2-thread split step from 2.7 to 2.1–2.4 ms (3.7–4.2 ms at 1 thread).
    /// It used to be 1 M, when every gradient came from the calling core's products: on a 2-core Zen 5, W1's update ran
    /// 12% slower split, W4's 2.1 M 5% faster.
    /// </summary>
    internal const int MinLength = 1 << 17;

    /// <summary>
    /// Elements from which a sum of squares is split (<see cref="Norms.SumOfSquares{T}(ReadOnlySpan{T})"/>): 1 M. A split
    /// sum adds its parts in an order that follows the thread count, so shorter ones stay whole and keep their bits.
    /// </summary>
    internal const int MinSumLength = 1 << 20;

    /// <summary>Parts start at multiples of this many elements: a whole number of 64-byte lines for float and double.</summary>
    private const int Alignment = 64;

    private static readonly object s_gate = new();
    private static readonly Action<int> s_runPart = RunPart;
    private static IRangePass? s_pass;
    private static int s_length, s_partLength;

    /// <summary>Passes run split so far (for tests: a split that silently fell back to one thread would look the same).</summary>
    internal static long SplitCount { get; private set; }

    /// <summary>
    /// Runs <paramref name="pass"/> over <c>[0, length)</c>, split across the pool when it is long enough and free, else
    /// on the calling thread; parts start at multiples of <paramref name="alignment"/> (itself a multiple of 64).
    /// </summary>
    /// <returns>The number of parts run, numbered from 0: 1 when not split.</returns>
    public static int Run(IRangePass pass, int length, int alignment = Alignment)
    {
        int threads = WorkerPool.Threads;
        if (threads > 1 && length >= MinLength && Monitor.TryEnter(s_gate))
        {
            try
            {
                s_pass = pass;
                s_length = length;
                s_partLength = (length / threads + alignment - 1) / alignment * alignment;
                int parts = (length + s_partLength - 1) / s_partLength;
                if (WorkerPool.TryRun(s_runPart, parts))
                {
                    SplitCount++;
                    return parts;
                }
            }
            finally
            {
                s_pass = null;
                Monitor.Exit(s_gate);
            }
        }
        pass.Run(0, 0, length);
        return 1;
    }

    private static void RunPart(int part)
    {
        int start = part * s_partLength;
        s_pass!.Run(part, start, Math.Min(start + s_partLength, s_length));
    }
}

/// <summary>Whole-buffer passes of the training step, split across threads by <see cref="ParallelRange"/>.</summary>
internal static unsafe class ParallelPasses<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly ScalePass s_scale = new();
    private static readonly ClearPass s_clear = new();
    private static readonly SumOfSquaresPass s_sumOfSquares = new();

    /// <summary><c>values ← values·factor</c>.</summary>
    public static void Scale(Span<T> values, T factor)
    {
        if (!TrySplit(values, s_scale, factor, out _))
            TensorPrimitives.Multiply(values, factor, values);
    }

    /// <summary><c>values ← 0</c>.</summary>
    public static void Clear(Span<T> values)
    {
        if (!TrySplit(values, s_clear, T.Zero, out _))
            values.Clear();
    }

    /// <summary>
    /// <see cref="Norms.SumOfSquares{T}(ReadOnlySpan{T})"/> split in parts of whole blocks, the parts' sums added in
    /// order (so a given thread count always gives the same bits); false, having done nothing, when not split.
    /// </summary>
    public static bool TrySumOfSquares(ReadOnlySpan<T> values, out double sum) =>
        TrySplit(values, s_sumOfSquares, T.Zero, out sum, Norms.Block, ParallelRange.MinSumLength);

    /// <summary>
    /// Runs <paramref name="pass"/> split over <paramref name="values"/> (pinned while its parts run) into parts starting
    /// at multiples of <paramref name="alignment"/>, and combines the parts' results; false, having done nothing, when the
    /// buffer is shorter than <paramref name="minLength"/>, there is one thread, or another thread is running the same pass.
    /// </summary>
    private static bool TrySplit(ReadOnlySpan<T> values, BufferPass pass, T factor, out double result, int alignment = 64, int minLength = ParallelRange.MinLength)
    {
        result = 0;
        if (values.Length < minLength || WorkerPool.Threads == 1 || !Monitor.TryEnter(pass))
            return false;
        try
        {
            fixed (T* data = values)
            {
                pass.Data = data;
                pass.Factor = factor;
                result = pass.Combine(ParallelRange.Run(pass, values.Length, alignment));
            }
        }
        finally
        {
            pass.Data = null;
            Monitor.Exit(pass);
        }
        return true;
    }

    private abstract class BufferPass : IRangePass
    {
        public T* Data;
        public T Factor;

        public abstract void Run(int part, int start, int end);

        /// <summary>The pass's result from its parts' (numbered <c>0 .. parts</c>), read while the pass is still held.</summary>
        public virtual double Combine(int parts) => 0;
    }

    private sealed class ScalePass : BufferPass
    {
        public override void Run(int part, int start, int end)
        {
            var values = new Span<T>(Data + start, end - start);
            TensorPrimitives.Multiply(values, Factor, values);
        }
    }

    private sealed class ClearPass : BufferPass
    {
        public override void Run(int part, int start, int end) => new Span<T>(Data + start, end - start).Clear();
    }

    private sealed class SumOfSquaresPass : BufferPass
    {
        private readonly double[] _sums = new double[WorkerPool.MaxThreads];

        public override void Run(int part, int start, int end) => _sums[part] = Norms.SumOfSquaresInBlocks(new ReadOnlySpan<T>(Data + start, end - start));

        public override double Combine(int parts)
        {
            double sum = 0;
            for (int part = 0; part < parts; part++)
                sum += _sums[part];
            return sum;
        }
    }
}
