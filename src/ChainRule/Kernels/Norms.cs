using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace ChainRule.Kernels;

/// <summary>L2 norms of whole buffers, accurate for long float buffers, in one pass without allocating.</summary>
public static class Norms
{
    /// <summary>Elements summed in <c>T</c> before the partial sum is added in double.</summary>
    internal const int Block = 4096;

    /// <summary>
    /// <c>Σ x[i]²</c>: blocks of 4096 with <c>TensorPrimitives.SumOfSquares</c> in <typeparamref name="T"/>, the blocks
    /// summed in double. Buffers of a million values or more are split across <see cref="Gemm.ThreadCount"/> threads in
    /// parts of whole blocks, each part's blocks summed in order, then the parts (so the last bits of the sum depend on
    /// the thread count, as the products' squared norms do).
    /// </summary>
    /// <param name="x">The values.</param>
    /// <returns>The sum of squares; NaN or ∞ if a value is, or if a block's sum overflows <typeparamref name="T"/>.</returns>
    public static double SumOfSquares<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ParallelPasses<T>.TrySumOfSquares(x, out double sum) ? sum : SumOfSquaresInBlocks(x);

    /// <summary><see cref="SumOfSquares{T}(ReadOnlySpan{T})"/> on the calling thread.</summary>
    internal static double SumOfSquaresInBlocks<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        for (int start = 0; start < x.Length; start += Block)
            sum += double.CreateTruncating(TensorPrimitives.SumOfSquares(x.Slice(start, Math.Min(Block, x.Length - start))));
        return sum;
    }

    /// <summary><c>‖x‖ = √(Σ x[i]²)</c>, as <see cref="SumOfSquares{T}(ReadOnlySpan{T})"/>; e.g. a layer's weight norm for the gradient report.</summary>
    /// <param name="x">The values.</param>
    /// <returns>The L2 norm.</returns>
    public static double L2<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Math.Sqrt(SumOfSquares(x));
}
