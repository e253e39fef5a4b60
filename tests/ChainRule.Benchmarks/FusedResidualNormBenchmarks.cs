using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ChainRule.Kernels;

namespace ChainRule.Benchmarks;

/// <summary>
/// The residual add fused with LayerNorm (<see cref="LayerNorm.AddForward{T}"/>, <see cref="LayerNorm.AddBackward{T}"/>)
/// against the same arithmetic as separate <see cref="TensorPrimitives"/> passes, each a full sweep over a row.
/// Ratio = fused / separate: below 1 means the fusion pays.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class FusedResidualNormBenchmarks
{
    private const int Batch = 64;
    private const float Epsilon = 1e-5f, Scale = 1f;

    private float[] _residual = [], _branch = [], _gamma = [], _beta = [], _sum = [], _y = [], _mean = [], _rstd = [];
    private float[] _dy = [], _dsum = [], _dgamma = [], _dbeta = [], _norm = [], _dnorm = [];

    /// <summary>Features per sample.</summary>
    [Params(256, 1024)]
    public int Features { get; set; }

    /// <summary>Random activations and parameters, and the forward's caches for the backward.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        float[] Random(int length, float offset = 0)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++) values[i] = offset + (float)(random.NextDouble() * 2 - 1);
            return values;
        }
        int n = Batch * Features;
        _residual = Random(n, 0.5f);
        _branch = Random(n);
        _gamma = Random(Features, 1);
        _beta = Random(Features);
        _dy = Random(n);
        _sum = new float[n];
        _y = new float[n];
        _mean = new float[Batch];
        _rstd = new float[Batch];
        _dsum = new float[n];
        _dgamma = new float[Features];
        _dbeta = new float[Features];
        _norm = new float[Features];
        _dnorm = new float[Features];
        LayerNorm.AddForward<float>(_sum, _y, _mean, _rstd, _residual, _branch, Scale, _gamma, _beta, Batch, Features, Epsilon);
    }

    /// <summary><c>sum = residual + α·branch</c>, <c>y = LayerNorm(sum)</c>: one statistics pass and one normalize pass per row.</summary>
    [Benchmark, BenchmarkCategory("Forward")]
    public void FusedAddForward()
        => LayerNorm.AddForward<float>(_sum, _y, _mean, _rstd, _residual, _branch, Scale, _gamma, _beta, Batch, Features, Epsilon);

    /// <summary>The same forward as TensorPrimitives passes: add, mean, center, variance, scale, affine.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Forward")]
    public void SeparateAddForward()
    {
        int f = Features;
        TensorPrimitives.MultiplyAdd(_branch, Scale, _residual, _sum);
        for (int s = 0; s < Batch; s++)
        {
            ReadOnlySpan<float> row = _sum.AsSpan(s * f, f);
            Span<float> y = _y.AsSpan(s * f, f);
            float mean = TensorPrimitives.Sum(row) / f;
            TensorPrimitives.Subtract(row, mean, y);
            float rstd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares<float>(y) / f + Epsilon);
            TensorPrimitives.Multiply(y, rstd, y);
            TensorPrimitives.MultiplyAdd(y, _gamma, _beta, y);
            _mean[s] = mean;
            _rstd[s] = rstd;
        }
    }

    /// <summary><c>dsum += ∂LayerNorm/∂sum · dy</c>, <c>dγ +=</c>, <c>dβ +=</c>: one sums pass and one writing pass per row.</summary>
    [Benchmark, BenchmarkCategory("Backward")]
    public void FusedAddBackward()
        => LayerNorm.AddBackward<float>(_dsum, _dgamma, _dbeta, _dy, _sum, _mean, _rstd, _gamma, Batch, Features);

    /// <summary>The same backward as TensorPrimitives passes over a row-sized workspace.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Backward")]
    public void SeparateAddBackward()
    {
        int f = Features;
        Span<float> norm = _norm, dnorm = _dnorm;
        for (int s = 0; s < Batch; s++)
        {
            ReadOnlySpan<float> row = _sum.AsSpan(s * f, f), dy = _dy.AsSpan(s * f, f);
            Span<float> dsum = _dsum.AsSpan(s * f, f);
            float rstd = _rstd[s];
            TensorPrimitives.Subtract(row, _mean[s], norm);
            TensorPrimitives.Multiply(norm, rstd, norm);                   // n̂ = (x − μ)·rstd
            TensorPrimitives.Multiply(dy, _gamma, dnorm);                  // dn̂ = γ ⊙ dy
            float meanDnorm = TensorPrimitives.Sum<float>(dnorm) / f;
            float meanDnormNorm = TensorPrimitives.Dot<float>(dnorm, norm) / f;
            TensorPrimitives.Add(_dbeta, dy, _dbeta);
            TensorPrimitives.MultiplyAdd(dy, norm, _dgamma, _dgamma);
            TensorPrimitives.Subtract(dnorm, meanDnorm, dnorm);
            TensorPrimitives.MultiplyAdd(norm, -meanDnormNorm, dnorm, dnorm);
            TensorPrimitives.MultiplyAdd(dnorm, rstd, dsum, dsum);         // dsum += (dn̂ − a − n̂·b)·rstd
        }
    }
}
