using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Threading;

namespace ChainRule.Kernels;

/// <summary>An elementwise pass over <c>[0, length)</c> whose parts are independent of one another.</summary>
internal interface IRangePass
{
    /// <summary>Runs the pass over elements <c>[start, end)</c>.</summary>
    void Run(int start, int end);
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
    /// Elements from which a pass is split: 1 M, past what the calling core's caches hold, so that the pass streams from
    /// memory and a second core adds bandwidth. Shorter buffers stay in the caller's cache, where a split only moves half
    /// of them to the other core's (W1's 270 K-parameter SGD step ran 12% slower split on this 2-core Zen 5; W4's 2.1 M
    /// ran 5% faster).
    /// </summary>
    internal const int MinLength = 1 << 20;

    /// <summary>Parts start at multiples of this many elements: a whole number of 64-byte lines for float and double.</summary>
    private const int Alignment = 64;

    private static readonly object s_gate = new();
    private static readonly Action<int> s_runPart = RunPart;
    private static IRangePass? s_pass;
    private static int s_length, s_partLength;

    /// <summary>Passes run split so far (for tests: a split that silently fell back to one thread would look the same).</summary>
    internal static long SplitCount { get; private set; }

    /// <summary>Runs <paramref name="pass"/> over <c>[0, length)</c>, split across the pool when it is long enough and free, else on the calling thread.</summary>
    public static void Run(IRangePass pass, int length)
    {
        int threads = WorkerPool.Threads;
        if (threads > 1 && length >= MinLength && Monitor.TryEnter(s_gate))
        {
            try
            {
                s_pass = pass;
                s_length = length;
                s_partLength = (length / threads + Alignment - 1) / Alignment * Alignment;
                if (WorkerPool.TryRun(s_runPart, (length + s_partLength - 1) / s_partLength))
                {
                    SplitCount++;
                    return;
                }
            }
            finally
            {
                s_pass = null;
                Monitor.Exit(s_gate);
            }
        }
        pass.Run(0, length);
    }

    private static void RunPart(int part)
    {
        int start = part * s_partLength;
        s_pass!.Run(start, Math.Min(start + s_partLength, s_length));
    }
}

/// <summary>Whole-buffer passes of the training step, split across threads by <see cref="ParallelRange"/>.</summary>
internal static unsafe class ParallelPasses<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly ScalePass s_scale = new();
    private static readonly ClearPass s_clear = new();

    /// <summary><c>values ← values·factor</c>.</summary>
    public static void Scale(Span<T> values, T factor)
    {
        if (!TrySplit(values, s_scale, factor))
            TensorPrimitives.Multiply(values, factor, values);
    }

    /// <summary><c>values ← 0</c>.</summary>
    public static void Clear(Span<T> values)
    {
        if (!TrySplit(values, s_clear, T.Zero))
            values.Clear();
    }

    /// <summary>
    /// Runs <paramref name="pass"/> split over <paramref name="values"/> (pinned while its parts run); false, having done
    /// nothing, when the buffer is short, there is one thread, or another thread is running the same pass.
    /// </summary>
    private static bool TrySplit(Span<T> values, BufferPass pass, T factor)
    {
        if (values.Length < ParallelRange.MinLength || WorkerPool.Threads == 1 || !Monitor.TryEnter(pass))
            return false;
        try
        {
            fixed (T* data = values)
            {
                pass.Data = data;
                pass.Factor = factor;
                ParallelRange.Run(pass, values.Length);
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

        public abstract void Run(int start, int end);
    }

    private sealed class ScalePass : BufferPass
    {
        public override void Run(int start, int end)
        {
            var part = new Span<T>(Data + start, end - start);
            TensorPrimitives.Multiply(part, Factor, part);
        }
    }

    private sealed class ClearPass : BufferPass
    {
        public override void Run(int start, int end) => new Span<T>(Data + start, end - start).Clear();
    }
}
