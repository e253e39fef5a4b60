using System;
using ChainRule.Kernels;
using ChainRule.Tests.Models;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Kernels;

/// <summary>
/// Tests that change <see cref="Gemm.ThreadCount"/>, which is global, run alone: no other test's products land on the
/// pool's workers meanwhile, and no other test runs at a thread count it did not choose.
/// </summary>
[CollectionDefinition("Worker pool", DisableParallelization = true)]
public sealed class WorkerPoolCollection;

/// <summary>
/// No allocation per step or prediction with the worker pool on, on any of the pool's threads: allocations on a worker
/// are invisible to the calling thread's counter, so each thread reads its own.
/// </summary>
[Collection("Worker pool")]
public class WorkerPoolAllocationTests
{
    private const int Threads = 2;

    [Fact]
    public void Steps_and_predictions_split_across_threads_allocate_nothing_on_any_thread()
    {
        int before = Gemm.ThreadCount;
        try
        {
            Gemm.ThreadCount = Threads;
            // 256 × 256 → 512 and 256 × 512 → 384 are big enough to split; so is one row into 512 outputs.
            const int batch = 256;
            var model = new WideNetwork(5);
            var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = batch, Optimizer = Optimizers.AdamW(1e-3), Clip = Clipping.GlobalNorm(1.0) });
            var random = new Random(9);
            float[] inputs = NumericAssert.Random<float>(random, batch * WideNetwork.InputSize);
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++)
                labels[i] = i % WideNetwork.OutputSize;
            float[] logits = new float[WideNetwork.OutputSize];
            float[] batchLogits = new float[batch * WideNetwork.OutputSize];
            long jobs = WorkerPool.SplitJobs, rounds = 0, reads = 0;

            void Work()
            {
                trainer.Step(inputs, labels);
                model.Predict(inputs.AsSpan(0, WideNetwork.InputSize), logits);
                model.PredictBatch(inputs, batchLogits);
                rounds++;
            }

            // A round at batch 256 takes some 25 ms here, so 10 rounds of warm-up rather than the default 40 (most of
            // a second more per run): most kernels run several times a round and pass the tier-1 threshold anyway, and
            // a late promotion of the rest lands in one window only.
            Allocations.AssertNone($"rounds of step, prediction, batch prediction on {Threads} threads together", Work, calls: 5, warmUpCalls: 10, () =>
            {
                reads++;
                return Allocations.OnPoolThreads(Threads);
            });
            // Each read of the threads' counters is a split job too.
            jobs += reads;
            Assert.True(WorkerPool.SplitJobs - jobs >= rounds * 3, $"{WorkerPool.SplitJobs - jobs} split jobs in {rounds} rounds of step, prediction, batch prediction");

            jobs = WorkerPool.SplitJobs;
            model.Predict(inputs.AsSpan(0, WideNetwork.InputSize), logits);
            Assert.True(WorkerPool.SplitJobs > jobs, "a one-row prediction into 512 outputs is split");
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
    }
}
