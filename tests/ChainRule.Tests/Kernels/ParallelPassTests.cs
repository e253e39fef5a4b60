using System;
using ChainRule.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Kernels;

// Changes Gemm.ThreadCount, which is global: tests that do run one at a time.
[Collection("Worker pool")]
public class ParallelPassTests
{
    [Fact]
    public void Clipping_and_clearing_long_buffers_split_and_match_one_thread()
    {
        int n = ParallelRange.MinLength + 37;
        var random = new Random(3);
        float[] gradients = NumericAssert.Random<float>(random, n);
        const double totalNorm = 4.0;
        float coefficient = (float)(1.0 / (totalNorm + 1e-6)); // maxNorm / (totalNorm + ε), as torch computes it
        float[] expected = (float[])gradients.Clone();
        for (int i = 0; i < n; i++)
            expected[i] *= coefficient;
        int before = Gemm.ThreadCount;
        try
        {
            Gemm.ThreadCount = 2;
            long splits = ParallelRange.SplitCount;
            GradientClipping.ScaleToMaxNorm<float>(gradients, totalNorm, maxNorm: 1.0);
            Assert.Equal(expected, gradients);
            new TrainingState<float>(new TrainerOptions(), n, ["layer"], [0], "loss", statisticsCount: 0).ClearGradients(gradients);
            Assert.All(gradients, value => Assert.Equal(0f, value));
            Assert.Equal(splits + 2, ParallelRange.SplitCount);
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
    }

    [Fact]
    public void A_long_sum_of_squares_splits_in_whole_blocks_and_adds_the_parts_in_order()
    {
        int n = ParallelRange.MinSumLength + 4096 * 3 + 37;
        var random = new Random(5);
        float[] values = NumericAssert.Random<float>(random, n);
        double serial = Norms.SumOfSquaresInBlocks<float>(values);
        // Two parts of whole 4096-value blocks: the first ends on the block boundary at or past half the buffer.
        int half = (n / 2 + Norms.Block - 1) / Norms.Block * Norms.Block;
        double expected = Norms.SumOfSquaresInBlocks<float>(values.AsSpan(0, half)) + Norms.SumOfSquaresInBlocks<float>(values.AsSpan(half));
        int before = Gemm.ThreadCount;
        try
        {
            Gemm.ThreadCount = 2;
            long splits = ParallelRange.SplitCount;
            double split = Norms.SumOfSquares<float>(values);
            Assert.Equal(splits + 1, ParallelRange.SplitCount);
            Assert.Equal(expected, split);
            Assert.Equal(serial, split, serial * 1e-14); // the same blocks, the parts added in another grouping
            // Independent of the kernels: every square in double, over the whole buffer past the split length. The kernels
            // sum each 4096-value block in float, so they may differ by float rounding of those partial sums.
            double independent = 0;
            foreach (float v in values)
                independent += (double)v * v;
            Assert.True(n > ParallelRange.MinSumLength);
            Assert.Equal(independent, split, independent * 1e-5);
            Assert.Equal(Math.Sqrt(split), Norms.L2<float>(values));
            values[n - 1] = float.NaN;
            Assert.True(double.IsNaN(Norms.SumOfSquares<float>(values)));
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
    }
}
