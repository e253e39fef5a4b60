using System;
using System.Linq;
using ChainRule.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models.Recurrent;

/// <summary>A step split by rows across threads reports the same per-step <c>‖∂L/∂h_t‖</c> as the unsplit step.</summary>
[Collection("Worker pool")]
public class RecurrentSplitStepTests
{
    [Fact]
    public void Split_steps_sum_the_parts_hidden_gradient_norms()
    {
        int threads = Gemm.ThreadCount;
        long minMultiplyAdds = BatchSplit.MinMultiplyAdds;
        int minRows = BatchSplit.MinRowsPerPart;
        try
        {
            BatchSplit.MinMultiplyAdds = 0;
            BatchSplit.MinRowsPerPart = 1;
            var random = new Random(21);
            float[] inputs = Enumerable.Range(0, 6 * 15).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] targets = Enumerable.Range(0, 6 * 2).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            double[][] norms = new double[2][];
            foreach (int count in new[] { 1, 3 })
            {
                Gemm.ThreadCount = count;
                var trainer = new StackedLstm(seed: 8).CreateTrainer(new TrainerOptions { MaxBatch = 6 });
                long splits = BatchSplit.SplitSteps;
                trainer.Step(inputs, targets);
                Assert.Equal(count > 1, BatchSplit.SplitSteps > splits);
                norms[count == 1 ? 0 : 1] = [.. trainer.LastReport!.HiddenGradientNorms(0), .. trainer.LastReport.HiddenGradientNorms(1)];
            }
            Assert.Equal(10, norms[1].Length);
            for (int t = 0; t < norms[0].Length; t++)
                Assert.True(Math.Abs(norms[1][t] - norms[0][t]) <= 1e-5 * norms[0][t], $"step {t}: split {norms[1][t]:E8}, unsplit {norms[0][t]:E8}");
        }
        finally
        {
            Gemm.ThreadCount = threads;
            BatchSplit.MinMultiplyAdds = minMultiplyAdds;
            BatchSplit.MinRowsPerPart = minRows;
        }
    }
}
