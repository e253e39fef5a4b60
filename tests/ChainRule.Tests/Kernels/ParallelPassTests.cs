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
            new TrainingState<float>(new TrainerOptions(), n, ["layer"]).ClearGradients(gradients);
            Assert.All(gradients, value => Assert.Equal(0f, value));
            Assert.Equal(splits + 2, ParallelRange.SplitCount);
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
    }
}
