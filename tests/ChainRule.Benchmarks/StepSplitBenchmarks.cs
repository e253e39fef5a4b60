using BenchmarkDotNet.Attributes;
using ChainRule.Training;

namespace ChainRule.Benchmarks;

/// <summary>
/// W1 and W2 with the step split by rows (<see cref="BatchSplit{T, TTarget}"/>) on and off, at 1 and 2 threads, in one
/// run: with <c>Split = false</c> a step splits only its big products, as before the batch split existed, so the four
/// rows of each workload compare like with like on a machine whose load moves from minute to minute.
/// <c>dotnet run -c Release --project tests/ChainRule.Benchmarks -- --filter '*StepSplit*'</c>.
/// </summary>
[Config(typeof(WorkloadConfig))]
public class StepSplitBenchmarks
{
    private readonly long _defaultMinMultiplyAdds = BatchSplit.MinMultiplyAdds;
    private float[] _w1Inputs = null!, _w2Inputs = null!;
    private int[][] _w1Labels = null!, _w2Labels = null!;
    private int _step;
    private W1Mlp.Trainer _w1 = null!;
    private W2Residual.Trainer _w2 = null!;

    /// <summary>Threads of the worker pool (<see cref="Kernels.Gemm.ThreadCount"/>).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Whether a step may split by rows (at the default threshold) or only its big products.</summary>
    [Params(false, true)]
    public bool Split { get; set; }

    /// <summary>The workloads' models, trainers and batches, as <see cref="WorkloadBenchmarks"/> builds them.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Kernels.Gemm.ThreadCount = Threads;
        BatchSplit.MinMultiplyAdds = Split ? _defaultMinMultiplyAdds : long.MaxValue;
        (_w1Inputs, _w1Labels) = WorkloadBenchmarks.Batch(128, W1Mlp.InputSize, W1Mlp.OutputSize, seed: 1);
        (_w2Inputs, _w2Labels) = WorkloadBenchmarks.Batch(64, W2Residual.InputSize, W2Residual.OutputSize, seed: 2);
        _w1 = new W1Mlp(1).CreateTrainer(new TrainerOptions { MaxBatch = 128, Optimizer = Optimizers.Sgd(1e-3, momentum: 0.9) });
        _w2 = new W2Residual(2).CreateTrainer(new TrainerOptions { MaxBatch = 64, Optimizer = Optimizers.AdamW(1e-4), Clip = Clipping.GlobalNorm(1.0) });
    }

    /// <summary>Puts the thread count and the threshold back.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Kernels.Gemm.ThreadCount = 1;
        BatchSplit.MinMultiplyAdds = _defaultMinMultiplyAdds;
    }

    private int[] Next(int[][] labels) => labels[_step++ & (WorkloadBenchmarks.LabelSets - 1)];

    /// <summary>W1: MLP 784-256-256-10 train step, batch 128, SGD momentum 0.9.</summary>
    [Benchmark, Flops(nameof(WorkloadFlops.W1))]
    public float W1_Step() => _w1.Step(_w1Inputs, Next(_w1Labels));

    /// <summary>W2: 20 pre-LN residual blocks, batch 64, AdamW, global-norm clipping 1.0.</summary>
    [Benchmark, Flops(nameof(WorkloadFlops.W2))]
    public float W2_Step() => _w2.Step(_w2Inputs, Next(_w2Labels));
}
