using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ChainRule.Kernels;

/// <summary>
/// Batch normalization of each feature over the batch, as <c>torch.nn.BatchNorm1d(features)</c>. Training:
/// per feature <c>f</c>, <c>μ_f = mean_s x[s,f]</c>, the biased <c>σ²_f = mean_s (x[s,f] − μ_f)²</c>,
/// <c>y = (x − μ)/√(σ² + ε)·γ + β</c>, and the running statistics move by momentum <c>m</c>:
/// <c>runningMean ← (1 − m)·runningMean + m·μ</c>, <c>runningVariance ← (1 − m)·runningVariance + m·σ²·B/(B − 1)</c>
/// (the unbiased variance). Inference: <c>y = (x − runningMean)/√(runningVariance + ε)·γ + β</c>.
/// </summary>
/// <remarks>
/// <para>
/// The training forward caches the batch statistics per feature, <c>mean = μ</c> and <c>rstd = 1/√(σ² + ε)</c>
/// (<c>(features)</c> each); with the input they give <c>n̂ = (x − μ)·rstd</c> back to the backward, which
/// differentiates through μ and σ² as PyTorch's training-mode backward does.
/// </para>
/// <para>
/// Rows are contiguous, so the kernels work on strips of one register of features at a time: a strip's statistics
/// accumulate row by row in registers, and its normalization follows while the strip is still in L1. Nothing is
/// allocated. The <c>Add</c> forms fuse a residual add in front, as <see cref="LayerNorm"/>'s do.
/// </para>
/// <para>Outputs must not overlap the inputs, except that <c>y</c> may be <c>x</c> (or <c>sum</c>).</para>
/// </remarks>
public static class BatchNorm
{
    /// <summary>
    /// Training mode: per feature <c>f</c>, <c>mean[f] = μ_f</c>, <c>rstd[f] = 1/√(σ²_f + ε)</c> over the batch,
    /// <c>y[s,f] = (x[s,f] − μ_f)·rstd[f]·γ[f] + β[f]</c>; the running statistics are updated with momentum.
    /// </summary>
    /// <param name="y">Output, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">Cached batch mean, shape <c>(features)</c>.</param>
    /// <param name="rstd">Cached <c>1/√(σ² + ε)</c> of the biased batch variance, shape <c>(features)</c>.</param>
    /// <param name="runningMean">Running mean, shape <c>(features)</c>; updated.</param>
    /// <param name="runningVariance">Running (unbiased) variance, shape <c>(features)</c>; updated.</param>
    /// <param name="x">Input, shape <c>(batch, features)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="beta">Shift β, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples, at least 2.</param>
    /// <param name="features">Number of features, at least 1.</param>
    /// <param name="epsilon">ε added to the variance (PyTorch's default 1e-5).</param>
    /// <param name="momentum">Weight <c>m</c> of the new batch statistics in the running ones (PyTorch's default 0.1).</param>
    /// <exception cref="ArgumentException"><paramref name="batch"/> is 1: a single value per feature has no variance.</exception>
    public static void ForwardTraining<T>(Span<T> y, Span<T> mean, Span<T> rstd, Span<T> runningMean, Span<T> runningVariance, ReadOnlySpan<T> x,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int features, T epsilon, T momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTraining(y.Length, mean.Length, rstd.Length, runningMean.Length, runningVariance.Length, x.Length, gamma.Length, beta.Length, batch, features, nameof(x));
        var loop = new TrainingStrips<T>
        {
            Y = y, Mean = mean, Rstd = rstd, RunningMean = runningMean, RunningVariance = runningVariance, Residual = x,
            Gamma = gamma, Beta = beta, Batch = batch, Features = features, Epsilon = epsilon, Momentum = momentum,
        };
        Simd.Run<TrainingStrips<T>, T>(ref loop, features);
    }

    /// <summary>
    /// Inference mode: <c>y[s,f] = (x[s,f] − runningMean[f])/√(runningVariance[f] + ε)·γ[f] + β[f]</c>; each row
    /// independent of the others.
    /// </summary>
    /// <param name="y">Output, shape <c>(batch, features)</c>.</param>
    /// <param name="x">Input, shape <c>(batch, features)</c>.</param>
    /// <param name="runningMean">Running mean, shape <c>(features)</c>.</param>
    /// <param name="runningVariance">Running variance, shape <c>(features)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="beta">Shift β, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Number of features, at least 1.</param>
    /// <param name="epsilon">ε added to the variance.</param>
    public static void ForwardInference<T>(Span<T> y, ReadOnlySpan<T> x, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVariance,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckInference(y.Length, x.Length, runningMean.Length, runningVariance.Length, gamma.Length, beta.Length, batch, features, nameof(x));
        var loop = new InferenceStrips<T>
        {
            Y = y, Residual = x, RunningMean = runningMean, RunningVariance = runningVariance, Gamma = gamma, Beta = beta,
            Batch = batch, Features = features, Epsilon = epsilon,
        };
        Simd.Run<InferenceStrips<T>, T>(ref loop, features);
    }

    /// <summary>
    /// Training-mode gradient through the batch statistics: with <c>n̂ = (x − μ)·rstd</c>, per feature,
    /// <c>dβ += Σ_s dy</c>, <c>dγ += Σ_s dy ⊙ n̂</c> (accumulated) and
    /// <c>dx = rstd·γ·(dy − mean_s(dy) − n̂·mean_s(dy ⊙ n̂))</c> (overwritten).
    /// </summary>
    /// <param name="dx">Gradient of the input, shape <c>(batch, features)</c>; overwritten.</param>
    /// <param name="dgamma">Accumulated gradient of γ, shape <c>(features)</c>.</param>
    /// <param name="dbeta">Accumulated gradient of β, shape <c>(features)</c>.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, features)</c>.</param>
    /// <param name="x">The forward input, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">The forward's cached batch mean, shape <c>(features)</c>.</param>
    /// <param name="rstd">The forward's cached rstd, shape <c>(features)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples, at least 2.</param>
    /// <param name="features">Number of features, at least 1.</param>
    public static void Backward<T>(Span<T> dx, Span<T> dgamma, Span<T> dbeta, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dx.Length, dgamma.Length, dbeta.Length, dy.Length, x.Length, mean.Length, rstd.Length, gamma.Length, batch, features, nameof(dx), nameof(x));
        var loop = new BackwardStrips<T>
        {
            Dvalue = dx, Dgamma = dgamma, Dbeta = dbeta, Dy = dy, Value = x, Mean = mean, Rstd = rstd, Gamma = gamma,
            Batch = batch, Features = features, Accumulate = false,
        };
        Simd.Run<BackwardStrips<T>, T>(ref loop, features);
    }

    /// <summary>
    /// The residual add fused with the training-mode norm: <c>sum = residual + scale·branch</c>, then
    /// <c>y = BatchNorm(sum)</c> as <see cref="ForwardTraining{T}"/>, the sum formed in the statistics pass.
    /// </summary>
    /// <param name="sum">The residual stream after the add, shape <c>(batch, features)</c>; the backward reads it.</param>
    /// <param name="y">Normalized output, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">Cached batch mean of <paramref name="sum"/>, shape <c>(features)</c>.</param>
    /// <param name="rstd">Cached <c>1/√(σ² + ε)</c> of <paramref name="sum"/>, shape <c>(features)</c>.</param>
    /// <param name="runningMean">Running mean, shape <c>(features)</c>; updated.</param>
    /// <param name="runningVariance">Running (unbiased) variance, shape <c>(features)</c>; updated.</param>
    /// <param name="residual">The skip input, shape <c>(batch, features)</c>.</param>
    /// <param name="branch">The branch output <c>F(·)</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="scale">The branch scale α (1 for a plain residual).</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="beta">Shift β, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples, at least 2.</param>
    /// <param name="features">Number of features, at least 1.</param>
    /// <param name="epsilon">ε added to the variance.</param>
    /// <param name="momentum">Weight <c>m</c> of the new batch statistics in the running ones.</param>
    /// <exception cref="ArgumentException"><paramref name="batch"/> is 1: a single value per feature has no variance.</exception>
    public static void AddForwardTraining<T>(Span<T> sum, Span<T> y, Span<T> mean, Span<T> rstd, Span<T> runningMean, Span<T> runningVariance,
        ReadOnlySpan<T> residual, ReadOnlySpan<T> branch, T scale, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int features, T epsilon, T momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTraining(y.Length, mean.Length, rstd.Length, runningMean.Length, runningVariance.Length, residual.Length, gamma.Length, beta.Length, batch, features, nameof(residual));
        Normalization.CheckRows(sum.Length, batch, features, nameof(sum));
        Normalization.CheckRows(branch.Length, batch, features, nameof(branch));
        var loop = new TrainingStrips<T>
        {
            Y = y, Mean = mean, Rstd = rstd, RunningMean = runningMean, RunningVariance = runningVariance, Residual = residual,
            Branch = branch, Sum = sum, Scale = scale, Gamma = gamma, Beta = beta, Batch = batch, Features = features,
            Epsilon = epsilon, Momentum = momentum,
        };
        Simd.Run<TrainingStrips<T>, T>(ref loop, features);
    }

    /// <summary>
    /// The residual add fused with the inference-mode norm: <c>sum = residual + scale·branch</c>, then
    /// <c>y = (sum − runningMean)/√(runningVariance + ε)·γ + β</c>, in one pass.
    /// </summary>
    /// <param name="sum">The residual stream after the add, shape <c>(batch, features)</c>.</param>
    /// <param name="y">Normalized output, shape <c>(batch, features)</c>.</param>
    /// <param name="residual">The skip input, shape <c>(batch, features)</c>.</param>
    /// <param name="branch">The branch output <c>F(·)</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="scale">The branch scale α (1 for a plain residual).</param>
    /// <param name="runningMean">Running mean, shape <c>(features)</c>.</param>
    /// <param name="runningVariance">Running variance, shape <c>(features)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="beta">Shift β, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Number of features, at least 1.</param>
    /// <param name="epsilon">ε added to the variance.</param>
    public static void AddForwardInference<T>(Span<T> sum, Span<T> y, ReadOnlySpan<T> residual, ReadOnlySpan<T> branch, T scale,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVariance, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckInference(y.Length, residual.Length, runningMean.Length, runningVariance.Length, gamma.Length, beta.Length, batch, features, nameof(residual));
        Normalization.CheckRows(sum.Length, batch, features, nameof(sum));
        Normalization.CheckRows(branch.Length, batch, features, nameof(branch));
        if (batch == 0)
            return; // an empty branch would otherwise read as "not fused"
        var loop = new InferenceStrips<T>
        {
            Y = y, Residual = residual, Branch = branch, Sum = sum, Scale = scale, RunningMean = runningMean, RunningVariance = runningVariance,
            Gamma = gamma, Beta = beta, Batch = batch, Features = features, Epsilon = epsilon,
        };
        Simd.Run<InferenceStrips<T>, T>(ref loop, features);
    }

    /// <summary>
    /// <c>dsum += ∂BatchNorm(sum)/∂sum · dy</c> (training mode), i.e. <see cref="Backward{T}"/>'s <c>dx</c> added to
    /// the skip path's gradient; <c>dγ +=</c>, <c>dβ +=</c> as there.
    /// </summary>
    /// <param name="dsum">On entry the skip path's gradient of <c>sum</c>, on exit the total, shape <c>(batch, features)</c>.</param>
    /// <param name="dgamma">Accumulated gradient of γ, shape <c>(features)</c>.</param>
    /// <param name="dbeta">Accumulated gradient of β, shape <c>(features)</c>.</param>
    /// <param name="dy">Gradient of the normalized output, shape <c>(batch, features)</c>.</param>
    /// <param name="sum">The forward's <c>sum</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">The forward's cached batch mean, shape <c>(features)</c>.</param>
    /// <param name="rstd">The forward's cached rstd, shape <c>(features)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples, at least 2.</param>
    /// <param name="features">Number of features, at least 1.</param>
    public static void AddBackward<T>(Span<T> dsum, Span<T> dgamma, Span<T> dbeta, ReadOnlySpan<T> dy, ReadOnlySpan<T> sum, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dsum.Length, dgamma.Length, dbeta.Length, dy.Length, sum.Length, mean.Length, rstd.Length, gamma.Length, batch, features, nameof(dsum), nameof(sum));
        var loop = new BackwardStrips<T>
        {
            Dvalue = dsum, Dgamma = dgamma, Dbeta = dbeta, Dy = dy, Value = sum, Mean = mean, Rstd = rstd, Gamma = gamma,
            Batch = batch, Features = features, Accumulate = true,
        };
        Simd.Run<BackwardStrips<T>, T>(ref loop, features);
    }

    /// <summary>
    /// Training forward over strips of features: shifted moments of <c>v</c> (<c>x</c>, or the fused sum, formed and
    /// stored here) with the strip's first row as the shift, as <see cref="RowMoments{T}"/> does along a row; then
    /// the statistics, the running update, and the normalized strip.
    /// </summary>
    private ref struct TrainingStrips<T> : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Y, Mean, Rstd, RunningMean, RunningVariance, Sum;
        public ReadOnlySpan<T> Residual, Branch, Gamma, Beta;
        public T Scale, Epsilon, Momentum;
        public int Batch, Features;

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T y = ref MemoryMarshal.GetReference(Y);
            ref T r = ref MemoryMarshal.GetReference(Residual);
            ref T b = ref MemoryMarshal.GetReference(Branch);
            ref T sum = ref MemoryMarshal.GetReference(Sum);
            bool fused = !Branch.IsEmpty;
            // v is read back from sum in the second pass when fused.
            ref T v = ref fused ? ref sum : ref r;
            int batch = Batch;
            nuint stride = (nuint)Features;
            TSimd scale = TSimd.Broadcast(Scale);
            TSimd count = TSimd.Broadcast(T.CreateTruncating(batch));
            TSimd unbiased = TSimd.Broadcast(T.CreateTruncating(batch) / T.CreateTruncating(batch - 1));
            TSimd epsilon = TSimd.Broadcast(Epsilon), momentum = TSimd.Broadcast(Momentum), keep = TSimd.One - momentum;
            int w = TSimd.Count, j = start;
            for (; j <= end - w; j += w)
            {
                nuint o = (nuint)j;
                TSimd shift = RowMoments<T>.Value(ref r, ref b, ref sum, scale, fused, o); // row 0: d = 0
                TSimd s0 = TSimd.Zero, s1 = TSimd.Zero, q0 = TSimd.Zero, q1 = TSimd.Zero;
                int s = 1;
                for (; s + 1 < batch; s += 2)
                {
                    TSimd d0 = RowMoments<T>.Value(ref r, ref b, ref sum, scale, fused, (nuint)s * stride + o) - shift;
                    TSimd d1 = RowMoments<T>.Value(ref r, ref b, ref sum, scale, fused, (nuint)(s + 1) * stride + o) - shift;
                    s0 += d0; TSimd.MultiplyAccumulate(ref q0, d0, d0);
                    s1 += d1; TSimd.MultiplyAccumulate(ref q1, d1, d1);
                }
                if (s < batch)
                {
                    TSimd d0 = RowMoments<T>.Value(ref r, ref b, ref sum, scale, fused, (nuint)s * stride + o) - shift;
                    s0 += d0; TSimd.MultiplyAccumulate(ref q0, d0, d0);
                }

                TSimd meanShift = (s0 + s1) / count;
                TSimd variance = (q0 + q1) / count - meanShift * meanShift;
                variance = TSimd.SelectGreaterThan(variance, TSimd.Zero, variance, TSimd.Zero);
                TSimd mean = shift + meanShift;
                TSimd rstd = TSimd.One / TSimd.Sqrt(variance + epsilon);
                TSimd.Store(mean, ref MemoryMarshal.GetReference(Mean), o);
                TSimd.Store(rstd, ref MemoryMarshal.GetReference(Rstd), o);
                ref T runningMean = ref MemoryMarshal.GetReference(RunningMean);
                ref T runningVariance = ref MemoryMarshal.GetReference(RunningVariance);
                TSimd.Store(TSimd.MultiplyAdd(keep, TSimd.Load(ref runningMean, o), momentum * mean), ref runningMean, o);
                TSimd.Store(TSimd.MultiplyAdd(keep, TSimd.Load(ref runningVariance, o), momentum * (variance * unbiased)), ref runningVariance, o);

                TSimd gamma = TSimd.Load(in MemoryMarshal.GetReference(Gamma), o), beta = TSimd.Load(in MemoryMarshal.GetReference(Beta), o);
                for (s = 0; s < batch; s++)
                {
                    nuint at = (nuint)s * stride + o;
                    TSimd.Store(TSimd.MultiplyAdd((TSimd.Load(ref v, at) - mean) * rstd, gamma, beta), ref y, at);
                }
            }
            return j;
        }
    }

    /// <summary>
    /// Inference over strips of features: <c>y = (v − runningMean)·(γ/√(runningVariance + ε)) + β</c>, with
    /// <c>v = x</c> or the fused sum, formed and stored here.
    /// </summary>
    private ref struct InferenceStrips<T> : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Y, Sum;
        public ReadOnlySpan<T> Residual, Branch, RunningMean, RunningVariance, Gamma, Beta;
        public T Scale, Epsilon;
        public int Batch, Features;

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T y = ref MemoryMarshal.GetReference(Y);
            ref T r = ref MemoryMarshal.GetReference(Residual);
            ref T b = ref MemoryMarshal.GetReference(Branch);
            ref T sum = ref MemoryMarshal.GetReference(Sum);
            bool fused = !Branch.IsEmpty;
            int batch = Batch;
            nuint stride = (nuint)Features;
            TSimd scale = TSimd.Broadcast(Scale), epsilon = TSimd.Broadcast(Epsilon);
            int w = TSimd.Count, j = start;
            for (; j <= end - w; j += w)
            {
                nuint o = (nuint)j;
                TSimd mean = TSimd.Load(in MemoryMarshal.GetReference(RunningMean), o);
                TSimd variance = TSimd.Load(in MemoryMarshal.GetReference(RunningVariance), o);
                TSimd gain = TSimd.Load(in MemoryMarshal.GetReference(Gamma), o) / TSimd.Sqrt(variance + epsilon);
                TSimd beta = TSimd.Load(in MemoryMarshal.GetReference(Beta), o);
                for (int s = 0; s < batch; s++)
                {
                    nuint at = (nuint)s * stride + o;
                    TSimd value = RowMoments<T>.Value(ref r, ref b, ref sum, scale, fused, at);
                    TSimd.Store(TSimd.MultiplyAdd(value - mean, gain, beta), ref y, at);
                }
            }
            return j;
        }
    }

    /// <summary>
    /// Training backward over strips of features: <c>Σ_s dy</c> and <c>Σ_s dy ⊙ n̂</c> in registers, added to
    /// <c>dβ</c>, <c>dγ</c>; then <c>dv = rstd·γ·(dy − Σdy/B − n̂·Σ(dy ⊙ n̂)/B)</c>, overwritten or accumulated.
    /// </summary>
    private ref struct BackwardStrips<T> : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Dvalue, Dgamma, Dbeta;
        public ReadOnlySpan<T> Dy, Value, Mean, Rstd, Gamma;
        public int Batch, Features;
        public bool Accumulate;

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T dvalue = ref MemoryMarshal.GetReference(Dvalue);
            ref T dyRef = ref MemoryMarshal.GetReference(Dy);
            ref T v = ref MemoryMarshal.GetReference(Value);
            ref T dgamma = ref MemoryMarshal.GetReference(Dgamma);
            ref T dbeta = ref MemoryMarshal.GetReference(Dbeta);
            int batch = Batch;
            bool accumulate = Accumulate;
            nuint stride = (nuint)Features;
            TSimd inverseCount = TSimd.Broadcast(T.One / T.CreateTruncating(batch));
            int w = TSimd.Count, j = start;
            for (; j <= end - w; j += w)
            {
                nuint o = (nuint)j;
                TSimd mean = TSimd.Load(in MemoryMarshal.GetReference(Mean), o);
                TSimd rstd = TSimd.Load(in MemoryMarshal.GetReference(Rstd), o);
                TSimd a0 = TSimd.Zero, a1 = TSimd.Zero, b0 = TSimd.Zero, b1 = TSimd.Zero;
                int s = 0;
                for (; s + 1 < batch; s += 2)
                {
                    Sums(ref dyRef, ref v, (nuint)s * stride + o, mean, rstd, ref a0, ref b0);
                    Sums(ref dyRef, ref v, (nuint)(s + 1) * stride + o, mean, rstd, ref a1, ref b1);
                }
                if (s < batch)
                    Sums(ref dyRef, ref v, (nuint)s * stride + o, mean, rstd, ref a0, ref b0);
                TSimd sumDy = a0 + a1, sumDyNorm = b0 + b1;
                TSimd.Store(TSimd.Load(ref dbeta, o) + sumDy, ref dbeta, o);
                TSimd.Store(TSimd.Load(ref dgamma, o) + sumDyNorm, ref dgamma, o);

                TSimd gain = rstd * TSimd.Load(in MemoryMarshal.GetReference(Gamma), o);
                TSimd meanDy = sumDy * inverseCount, meanDyNorm = sumDyNorm * inverseCount;
                for (s = 0; s < batch; s++)
                {
                    nuint at = (nuint)s * stride + o;
                    TSimd norm = (TSimd.Load(ref v, at) - mean) * rstd;
                    TSimd d = (TSimd.Load(ref dyRef, at) - meanDy - norm * meanDyNorm) * gain;
                    if (accumulate)
                        d += TSimd.Load(ref dvalue, at);
                    TSimd.Store(d, ref dvalue, at);
                }
            }
            return j;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Sums<TSimd>(ref T dy, ref T v, nuint at, TSimd mean, TSimd rstd, ref TSimd sumDy, ref TSimd sumDyNorm)
            where TSimd : struct, ISimd<TSimd, T>
        {
            TSimd g = TSimd.Load(ref dy, at);
            sumDy += g;
            TSimd.MultiplyAccumulate(ref sumDyNorm, g, (TSimd.Load(ref v, at) - mean) * rstd);
        }
    }

    private static void CheckTrainingBatch(int batch)
    {
        if (batch < 2) // PyTorch: "Expected more than 1 value per channel when training"
            throw new ArgumentException($"Expected more than 1 value per feature when training: batch normalization needs a batch of at least 2 to estimate a variance; got batch = {batch}.", nameof(batch));
    }

    private static void CheckTraining(int y, int mean, int rstd, int runningMean, int runningVariance, int x, int gamma, int beta, int batch, int features, string inputName)
    {
        CheckTrainingBatch(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Normalization.CheckRows(y, batch, features, nameof(y));
        Normalization.CheckFeatures(mean, features, nameof(mean));
        Normalization.CheckFeatures(rstd, features, nameof(rstd));
        Normalization.CheckFeatures(runningMean, features, nameof(runningMean));
        Normalization.CheckFeatures(runningVariance, features, nameof(runningVariance));
        Normalization.CheckRows(x, batch, features, inputName);
        Normalization.CheckFeatures(gamma, features, nameof(gamma));
        Normalization.CheckFeatures(beta, features, nameof(beta));
    }

    private static void CheckInference(int y, int x, int runningMean, int runningVariance, int gamma, int beta, int batch, int features, string inputName)
    {
        Normalization.CheckSizes(batch, features);
        Normalization.CheckRows(y, batch, features, nameof(y));
        Normalization.CheckRows(x, batch, features, inputName);
        Normalization.CheckFeatures(runningMean, features, nameof(runningMean));
        Normalization.CheckFeatures(runningVariance, features, nameof(runningVariance));
        Normalization.CheckFeatures(gamma, features, nameof(gamma));
        Normalization.CheckFeatures(beta, features, nameof(beta));
    }

    private static void CheckBackward(int dx, int dgamma, int dbeta, int dy, int x, int mean, int rstd, int gamma, int batch, int features,
        string gradientName, string inputName)
    {
        CheckTrainingBatch(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Normalization.CheckRows(dx, batch, features, gradientName);
        Normalization.CheckFeatures(dgamma, features, nameof(dgamma));
        Normalization.CheckFeatures(dbeta, features, nameof(dbeta));
        Normalization.CheckRows(dy, batch, features, nameof(dy));
        Normalization.CheckRows(x, batch, features, inputName);
        Normalization.CheckFeatures(mean, features, nameof(mean));
        Normalization.CheckFeatures(rstd, features, nameof(rstd));
        Normalization.CheckFeatures(gamma, features, nameof(gamma));
    }
}
