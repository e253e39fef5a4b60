using System;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using ChainRule.Kernels;
using ChainRule.Training;

namespace ChainRule.Benchmarks;

/// <summary>
/// Issue 5's workloads W1–W4 beside a peak-FMA reference in the same run, so that the GFLOP/s column can say what
/// fraction of this machine's measured peak each step reaches. Run on demand:
/// <c>dotnet run -c Release --project tests/ChainRule.Benchmarks -- --filter '*Workload*'</c>.
/// </summary>
[Config(typeof(WorkloadConfig))]
public partial class WorkloadBenchmarks
{
    /// <summary>Threads for big products (<see cref="Kernels.Gemm.ThreadCount"/>), and for the peak reference.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private PeakHelper? _peakHelper;

    /// <summary>Label sets each workload cycles through, one per step, over the same inputs.</summary>
    /// <remarks>
    /// Stepping one fixed batch forever lets a model memorize it within some hundred steps; its gradients then
    /// shrink into subnormal floats, which run several times slower (W2 went from 11 ms to 31 ms per step). Conflicting
    /// labels for the same inputs keep the loss and the gradients at their training-time magnitudes, step after step.
    /// </remarks>
    internal const int LabelSets = 8;

    private float[] _w1Inputs = null!, _w2Inputs = null!, _w4Inputs = null!;
    private int[][] _w1Labels = null!, _w2Labels = null!, _w4Labels = null!;
    private int _step;
    private readonly float[] _w3Logits = new float[W1Mlp.OutputSize];
    private W1Mlp _w1Model = null!;
    private W1Mlp.Trainer _w1 = null!;
    private W2Residual.Trainer _w2 = null!;
    private W4Mlp.Trainer _w4 = null!;

    /// <summary>Fixed-seed models, trainers and batches.</summary>
    [GlobalSetup(Targets = [nameof(W1_Step), nameof(W2_Step), nameof(W3_Predict), nameof(W4_Step)])]
    public void Setup()
    {
        Kernels.Gemm.ThreadCount = Threads;
        (_w1Inputs, _w1Labels) = Batch(128, W1Mlp.InputSize, W1Mlp.OutputSize, seed: 1);
        (_w2Inputs, _w2Labels) = Batch(64, W2Residual.InputSize, W2Residual.OutputSize, seed: 2);
        (_w4Inputs, _w4Labels) = Batch(256, W4Mlp.InputSize, W4Mlp.OutputSize, seed: 4);
        _w1Model = new W1Mlp(1);
        _w1 = _w1Model.CreateTrainer(new TrainerOptions { MaxBatch = 128, Optimizer = Optimizers.Sgd(1e-3, momentum: 0.9) });
        _w2 = new W2Residual(2).CreateTrainer(new TrainerOptions { MaxBatch = 64, Optimizer = Optimizers.AdamW(1e-4), Clip = Clipping.GlobalNorm(1.0) });
        _w4 = new W4Mlp(4).CreateTrainer(new TrainerOptions { MaxBatch = 256, Optimizer = Optimizers.Sgd(1e-4) });
    }

    internal static (float[] Inputs, int[][] Labels) Batch(int batch, int features, int classes, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[batch * features];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = (float)(random.NextDouble() * 2 - 1);
        var labels = new int[LabelSets][];
        for (int set = 0; set < LabelSets; set++)
        {
            labels[set] = new int[batch];
            for (int i = 0; i < batch; i++)
                labels[set][i] = random.Next(classes);
        }
        return (inputs, labels);
    }

    private int[] Next(int[][] labels) => labels[_step++ & (LabelSets - 1)];

    /// <summary>W1: MLP 784-256-256-10 train step, batch 128, SGD momentum 0.9.</summary>
    [Benchmark, Flops(nameof(WorkloadFlops.W1))]
    public float W1_Step() => _w1.Step(_w1Inputs, Next(_w1Labels));

    /// <summary>W2: 20 pre-LN residual blocks, batch 64, AdamW, global-norm clipping 1.0.</summary>
    [Benchmark, Flops(nameof(WorkloadFlops.W2))]
    public float W2_Step() => _w2.Step(_w2Inputs, Next(_w2Labels));

    /// <summary>W3: the W1 model's <c>Predict</c> on one sample.</summary>
    [Benchmark, Flops(nameof(WorkloadFlops.W3))]
    public float W3_Predict()
    {
        _w1Model.Predict(_w1Inputs.AsSpan(0, W1Mlp.InputSize), _w3Logits);
        return _w3Logits[0];
    }

    /// <summary>W4: MLP 1024-1024-1024-10 train step, batch 256, SGD.</summary>
    [Benchmark, Flops(nameof(WorkloadFlops.W4))]
    public float W4_Step() => _w4.Step(_w4Inputs, Next(_w4Labels));

    /// <summary>The peak's helper thread at 2 threads (it spins, so only the peak benchmark has one).</summary>
    [GlobalSetup(Target = nameof(PeakFmaWidest))]
    public void PeakSetup() => _peakHelper = Threads > 1 ? new PeakHelper() : null;

    /// <summary>Stops the peak helper thread.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _peakHelper?.Dispose();
        Kernels.Gemm.ThreadCount = 1;
    }

    /// <summary>
    /// The reference: <see cref="PeakFma.Iterations"/> rounds of 12 independent FMAs at the widest hardware-accelerated
    /// width (<see cref="PeakFma.VectorBits"/>) on each of <see cref="Threads"/> threads (1 or 2), enough accumulators to
    /// cover FMA latency × pipes; FLOPs = threads·iterations·12·lanes·2.
    /// </summary>
    [Benchmark, Flops(nameof(PeakFma.Flops))]
    public float PeakFmaWidest()
    {
        if (_peakHelper is null)
            return PeakFma.Run();
        _peakHelper.Start();
        float result = PeakFma.Run();
        return result + _peakHelper.Join();
    }

    /// <summary>A second thread for the 2-thread peak that spins between runs, as the kernels' worker pool does.</summary>
    private sealed class PeakHelper : IDisposable
    {
        private volatile int _state; // 0 idle, 1 go, 2 done, 3 stop
        private float _result;

        public PeakHelper() => new System.Threading.Thread(Loop) { IsBackground = true }.Start();

        public void Start() => _state = 1;

        public float Join()
        {
            while (_state != 2)
                System.Threading.Thread.SpinWait(20);
            _state = 0;
            return _result;
        }

        public void Dispose() => _state = 3;

        private void Loop()
        {
            while (true)
            {
                int state = _state;
                if (state == 3)
                    return;
                if (state != 1)
                {
                    System.Threading.Thread.SpinWait(20);
                    continue;
                }
                _result = PeakFma.Run();
                _state = 2;
            }
        }
    }
}

/// <summary>
/// The same-run FMA peak, at the width the kernels' packed path runs at: <c>Vector512</c> only where it is
/// hardware-accelerated (on an AVX2 machine it is emulated as two 256-bit halves and twelve of its accumulators no
/// longer fit the 16 registers, which would halve the "peak" and flatter every % of it), else 256 or 128 bits.
/// </summary>
public static class PeakFma
{
    /// <summary>Rounds of the 12-accumulator loop.</summary>
    public const int Iterations = 1 << 20;

    /// <summary>The register width measured: <see cref="GemmBlocking.HardwareVectorBits"/>, the one the kernels choose.</summary>
    public static readonly int VectorBits = GemmBlocking.HardwareVectorBits();

    /// <summary>Iterations · 12 registers · lanes · 2 (multiply and add).</summary>
    public static readonly long Flops = (long)Iterations * 12 * (VectorBits / 32) * 2;

    /// <summary>Runs the loop at <see cref="VectorBits"/> and returns a value depending on every accumulator, so nothing is eliminated.</summary>
    public static float Run() => VectorBits switch
    {
        512 => Run<Simd512<float>>(),
        256 => Run<Simd256<float>>(),
        128 => Run<Simd128<float>>(),
        _ => Run<Scalar<float>>(),
    };

    // The kernels' own register abstraction, so the peak is what their FMAs can reach at that width.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Run<TSimd>()
        where TSimd : struct, ISimd<TSimd, float>
    {
        TSimd x = TSimd.Broadcast(0.999999f), y = TSimd.Broadcast(1e-7f);
        TSimd a0 = TSimd.Broadcast(0f), a1 = TSimd.Broadcast(1f), a2 = TSimd.Broadcast(2f), a3 = TSimd.Broadcast(3f);
        TSimd a4 = TSimd.Broadcast(4f), a5 = TSimd.Broadcast(5f), a6 = TSimd.Broadcast(6f), a7 = TSimd.Broadcast(7f);
        TSimd a8 = TSimd.Broadcast(8f), a9 = TSimd.Broadcast(9f), a10 = TSimd.Broadcast(10f), a11 = TSimd.Broadcast(11f);
        for (int i = 0; i < Iterations; i++)
        {
            a0 = TSimd.MultiplyAdd(a0, x, y); a1 = TSimd.MultiplyAdd(a1, x, y);
            a2 = TSimd.MultiplyAdd(a2, x, y); a3 = TSimd.MultiplyAdd(a3, x, y);
            a4 = TSimd.MultiplyAdd(a4, x, y); a5 = TSimd.MultiplyAdd(a5, x, y);
            a6 = TSimd.MultiplyAdd(a6, x, y); a7 = TSimd.MultiplyAdd(a7, x, y);
            a8 = TSimd.MultiplyAdd(a8, x, y); a9 = TSimd.MultiplyAdd(a9, x, y);
            a10 = TSimd.MultiplyAdd(a10, x, y); a11 = TSimd.MultiplyAdd(a11, x, y);
        }
        return TSimd.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}

/// <summary>Median, P95, P100, a P99 column and the GFLOP/s / % of peak column, with allocations.</summary>
public sealed class WorkloadConfig : ManualConfig
{
    /// <summary>Adds the columns.</summary>
    public WorkloadConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.P100);
        AddColumn(new GflopsColumn(showPercentOfPeak: false), new GflopsColumn(showPercentOfPeak: true));
    }
}
