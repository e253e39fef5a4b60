using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using ChainRule.Kernels;

namespace ChainRule.Benchmarks;

/// <summary>
/// What bounds inference at batch 1 (W3): W1's first layer, 784 → 256, reads a 784 KB weight matrix that stays in L2
/// call after call. <see cref="DenseForwardBatchOne"/> is the library's one-row product over row-major <c>W</c>;
/// <see cref="SumOneStream"/> reads the same bytes as one sequential stream with nothing else to load, the rate a
/// row-major product would reach if reading <c>W</c> were all it did. Ratio = product / stream.
/// </summary>
[MemoryDiagnoser]
public class BatchOneBandwidthBenchmarks
{
    private const int Inputs = 784, Outputs = 256;

    private float[] _weights = [], _bias = [], _input = [], _output = [];

    /// <summary>Random weights, bias and input.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        float[] Random(int length)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
            return values;
        }
        _weights = Random(Inputs * Outputs);
        _bias = Random(Outputs);
        _input = Random(Inputs);
        _output = new float[Outputs];
    }

    /// <summary><c>y = W x + b</c> at batch 1: 784 KB of <c>W</c> for 0.2 M multiply-adds.</summary>
    [Benchmark(Baseline = true)]
    public void DenseForwardBatchOne() => Dense.Forward<float>(_output, _input, _weights, _bias, 1, Inputs, Outputs);

    /// <summary>The same 784 KB summed in one sequential pass, four accumulators of 16 lanes.</summary>
    [Benchmark]
    public float SumOneStream()
    {
        ref float values = ref MemoryMarshal.GetArrayDataReference(_weights);
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        for (nuint i = 0; i <= (nuint)_weights.Length - 64; i += 64)
        {
            s0 += Vector512.LoadUnsafe(ref values, i);
            s1 += Vector512.LoadUnsafe(ref values, i + 16);
            s2 += Vector512.LoadUnsafe(ref values, i + 32);
            s3 += Vector512.LoadUnsafe(ref values, i + 48);
        }
        return Vector512.Sum(s0 + s1 + s2 + s3);
    }
}
