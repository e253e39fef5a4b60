using System;
using BenchmarkDotNet.Attributes;
using ChainRule.Kernels;

namespace ChainRule.Benchmarks;

/// <summary>
/// Issue 17's recurrent workload L1 beside W1–W4 and the same run's FMA peak: the <see cref="Lstm"/> kernels of one
/// train step of an LSTM first layer (F = 32 → H = 128, T = 100, batch 32, last-step output, full BPTT, per-step
/// gradient norms), gradients cleared as a step clears them. Run on demand:
/// <c>dotnet run -c Release --project tests/ChainRule.Benchmarks -- --filter '*WorkloadBenchmarks.L1*' '*PeakFma*'</c>;
/// peer/torch_workloads.py times <c>nn.LSTM</c> on the same shape.
/// </summary>
public partial class WorkloadBenchmarks
{
    private const int L1Batch = 32, L1Steps = 100, L1Inputs = 32, L1Hidden = 128;

    private float[] _l1X = [], _l1Y = [], _l1Dy = [], _l1Cache = [];
    private float[] _l1WeightIH = [], _l1WeightHH = [], _l1BiasIH = [], _l1BiasHH = [];
    private float[] _l1DweightIH = [], _l1DweightHH = [], _l1DbiasIH = [], _l1DbiasHH = [];
    private readonly double[] _l1Norms = new double[L1Steps];

    /// <summary>PyTorch's default initialization from a fixed seed, a random batch and output gradient.</summary>
    [GlobalSetup(Target = nameof(L1_LstmStep))]
    public void LstmSetup()
    {
        Kernels.Gemm.ThreadCount = Threads;
        const int width = 4 * L1Hidden;
        _l1WeightIH = new float[width * L1Inputs];
        _l1WeightHH = new float[width * L1Hidden];
        _l1BiasIH = new float[width];
        _l1BiasHH = new float[width];
        var random = new Training.DeterministicRandom(17, 0);
        Training.Initializers.FillRecurrent<float>(_l1WeightIH, _l1WeightHH, _l1BiasIH, _l1BiasHH, L1Inputs, L1Hidden, 4, Init.Default, 0, ref random);
        var uniform = new Random(17);
        float[] Random(int length)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++) values[i] = (float)(uniform.NextDouble() * 2 - 1);
            return values;
        }
        _l1X = Random(L1Batch * L1Steps * L1Inputs);
        _l1Dy = Random(L1Batch * L1Hidden);
        _l1Y = new float[L1Batch * L1Hidden];
        _l1Cache = new float[Lstm.CacheLength(L1Batch, L1Steps, L1Inputs, L1Hidden)];
        _l1DweightIH = new float[_l1WeightIH.Length];
        _l1DweightHH = new float[_l1WeightHH.Length];
        _l1DbiasIH = new float[width];
        _l1DbiasHH = new float[width];
    }

    /// <summary>L1: <see cref="Lstm.Forward{T}"/> then <see cref="Lstm.Backward{T}"/>, no input gradient (a first layer).</summary>
    [Benchmark, Flops(nameof(WorkloadFlops.L1))]
    public double L1_LstmStep()
    {
        Lstm.Forward<float>(_l1Y, _l1Cache, _l1X, _l1WeightIH, _l1WeightHH, _l1BiasIH, _l1BiasHH, L1Batch, L1Steps, L1Inputs, L1Hidden, returnSequences: false);
        Array.Clear(_l1DweightIH);
        Array.Clear(_l1DweightHH);
        Array.Clear(_l1DbiasIH);
        Array.Clear(_l1DbiasHH);
        Lstm.Backward<float>(default, _l1DweightIH, _l1DweightHH, _l1DbiasIH, _l1DbiasHH, _l1Norms, _l1Dy, _l1Cache, _l1WeightIH, _l1WeightHH,
            L1Batch, L1Steps, L1Inputs, L1Hidden, returnSequences: false, truncate: 0);
        return _l1Norms[0];
    }
}
