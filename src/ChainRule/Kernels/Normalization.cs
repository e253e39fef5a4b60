using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ChainRule.Training;

namespace ChainRule.Kernels;

// The row loops LayerNorm and RmsNorm share: RMSNorm is LayerNorm's arithmetic with the mean fixed at 0 and no β.
// Each loop is one pass over one row of `features` elements, written once over ISimd and run at every width by
// Simd.Run.

/// <summary>
/// Shifted moments of one row, <c>S₁ = Σ (v − K)</c> and <c>S₂ = Σ (v − K)²</c>, where <c>v = x</c>, or, when
/// <see cref="Branch"/> is non-empty, <c>v = residual + scale·branch</c>, written to <see cref="Sum"/> as it is formed.
/// </summary>
/// <remarks>
/// One pass instead of a mean pass and a variance pass. Subtracting a shift <c>K</c> near the mean (a sample of the
/// row itself) keeps <c>S₂/n − (S₁/n)²</c> free of the cancellation that ruins <c>E[v²] − E[v]²</c> when the mean
/// is large next to the spread (Chan, Golub and LeVeque 1983, "shifted data"). RMSNorm passes <c>K = 0</c>.
/// </remarks>
internal ref struct RowMoments<T> : IVectorLoop<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public ReadOnlySpan<T> Residual;
    public ReadOnlySpan<T> Branch;
    public Span<T> Sum;
    public T Scale;
    public T Shift;
    public T ShiftedSum;
    public T ShiftedSquares;

    public int Run<TSimd>(int start, int end)
        where TSimd : struct, ISimd<TSimd, T>
    {
        ref T r = ref MemoryMarshal.GetReference(Residual);
        ref T b = ref MemoryMarshal.GetReference(Branch);
        ref T sum = ref MemoryMarshal.GetReference(Sum);
        bool fused = !Branch.IsEmpty;
        TSimd scale = TSimd.Broadcast(Scale), shift = TSimd.Broadcast(Shift);
        // Two accumulator pairs per register width halve the add-latency chain.
        TSimd s0 = TSimd.Zero, s1 = TSimd.Zero, q0 = TSimd.Zero, q1 = TSimd.Zero;
        int w = TSimd.Count, i = start;
        for (; i <= end - 2 * w; i += 2 * w)
        {
            Accumulate(Value(ref r, ref b, ref sum, scale, fused, (nuint)i) - shift, ref s0, ref q0);
            Accumulate(Value(ref r, ref b, ref sum, scale, fused, (nuint)(i + w)) - shift, ref s1, ref q1);
        }
        for (; i <= end - w; i += w)
            Accumulate(Value(ref r, ref b, ref sum, scale, fused, (nuint)i) - shift, ref s0, ref q0);
        ShiftedSum += TSimd.Sum(s0 + s1);
        ShiftedSquares += TSimd.Sum(q0 + q1);
        return i;
    }

    /// <summary><c>v = residual + scale·branch</c> stored to <c>sum</c> when fused; <c>v = x</c> otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TSimd Value<TSimd>(ref T residual, ref T branch, ref T sum, TSimd scale, bool fused, nuint offset)
        where TSimd : struct, ISimd<TSimd, T>
    {
        TSimd r = TSimd.Load(ref residual, offset);
        if (!fused)
            return r;
        TSimd v = TSimd.MultiplyAdd(TSimd.Load(ref branch, offset), scale, r);
        TSimd.Store(v, ref sum, offset);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<TSimd>(TSimd d, ref TSimd sum, ref TSimd squares)
        where TSimd : struct, ISimd<TSimd, T>
    {
        sum += d;
        TSimd.MultiplyAccumulate(ref squares, d, d);
    }
}

/// <summary>
/// One row of the normalization proper: <c>y = (v − μ)·rstd·γ + β</c>, or without β when <see cref="Beta"/> is
/// empty. May run in place (<c>y</c> = <c>v</c>).
/// </summary>
internal ref struct RowNormalize<T> : IVectorLoop<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public Span<T> Y;
    public ReadOnlySpan<T> Value;
    public ReadOnlySpan<T> Gamma;
    public ReadOnlySpan<T> Beta;
    public T Mean;
    public T Rstd;

    public int Run<TSimd>(int start, int end)
        where TSimd : struct, ISimd<TSimd, T>
    {
        ref T y = ref MemoryMarshal.GetReference(Y);
        ref T v = ref MemoryMarshal.GetReference(Value);
        ref T gamma = ref MemoryMarshal.GetReference(Gamma);
        ref T beta = ref MemoryMarshal.GetReference(Beta);
        bool hasBeta = !Beta.IsEmpty;
        TSimd mean = TSimd.Broadcast(Mean), rstd = TSimd.Broadcast(Rstd);
        int w = TSimd.Count, i = start;
        for (; i <= end - w; i += w)
        {
            nuint o = (nuint)i;
            TSimd normalized = (TSimd.Load(ref v, o) - mean) * rstd;
            TSimd.Store(hasBeta ? TSimd.MultiplyAdd(normalized, TSimd.Load(ref gamma, o), TSimd.Load(ref beta, o))
                                : normalized * TSimd.Load(ref gamma, o), ref y, o);
        }
        return i;
    }
}

/// <summary>
/// The two row sums the backward needs, with <c>n̂ = (v − μ)·rstd</c> and <c>dn̂ = γ ⊙ dy</c>:
/// <c>Σ dn̂</c> and <c>Σ dn̂ ⊙ n̂</c>.
/// </summary>
internal ref struct RowGradientSums<T> : IVectorLoop<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public ReadOnlySpan<T> Dy;
    public ReadOnlySpan<T> Value;
    public ReadOnlySpan<T> Gamma;
    public T Mean;
    public T Rstd;
    public T SumDnorm;
    public T SumDnormNorm;

    public int Run<TSimd>(int start, int end)
        where TSimd : struct, ISimd<TSimd, T>
    {
        ref T dy = ref MemoryMarshal.GetReference(Dy);
        ref T v = ref MemoryMarshal.GetReference(Value);
        ref T gamma = ref MemoryMarshal.GetReference(Gamma);
        TSimd mean = TSimd.Broadcast(Mean), rstd = TSimd.Broadcast(Rstd);
        TSimd a0 = TSimd.Zero, a1 = TSimd.Zero, b0 = TSimd.Zero, b1 = TSimd.Zero;
        int w = TSimd.Count, i = start;
        for (; i <= end - 2 * w; i += 2 * w)
        {
            Accumulate(ref dy, ref v, ref gamma, mean, rstd, (nuint)i, ref a0, ref b0);
            Accumulate(ref dy, ref v, ref gamma, mean, rstd, (nuint)(i + w), ref a1, ref b1);
        }
        for (; i <= end - w; i += w)
            Accumulate(ref dy, ref v, ref gamma, mean, rstd, (nuint)i, ref a0, ref b0);
        SumDnorm += TSimd.Sum(a0 + a1);
        SumDnormNorm += TSimd.Sum(b0 + b1);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<TSimd>(ref T dy, ref T v, ref T gamma, TSimd mean, TSimd rstd, nuint o, ref TSimd sumDnorm, ref TSimd sumDnormNorm)
        where TSimd : struct, ISimd<TSimd, T>
    {
        TSimd dnorm = TSimd.Load(ref gamma, o) * TSimd.Load(ref dy, o);
        sumDnorm += dnorm;
        TSimd.MultiplyAccumulate(ref sumDnormNorm, dnorm, (TSimd.Load(ref v, o) - mean) * rstd);
    }
}

/// <summary>
/// The backward's writing pass over one row, with <c>n̂ = (v − μ)·rstd</c> and <c>dn̂ = γ ⊙ dy</c>:
/// <c>dβ += dy</c> (when <see cref="Dbeta"/> is non-empty), <c>dγ += dy ⊙ n̂</c>, and
/// <c>dv = (dn̂ − a − n̂·b)·rstd</c>, overwriting <c>dv</c> or added to it when <see cref="Accumulate"/>.
/// LayerNorm passes <c>a = mean(dn̂)</c>, <c>b = mean(dn̂ ⊙ n̂)</c>; RMSNorm <c>μ = a = 0</c>.
/// </summary>
internal ref struct RowGradient<T> : IVectorLoop<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public Span<T> Dvalue;
    public Span<T> Dgamma;
    public Span<T> Dbeta;
    public ReadOnlySpan<T> Dy;
    public ReadOnlySpan<T> Value;
    public ReadOnlySpan<T> Gamma;
    public T Mean;
    public T Rstd;
    public T MeanDnorm;
    public T MeanDnormNorm;
    public bool Accumulate;

    public int Run<TSimd>(int start, int end)
        where TSimd : struct, ISimd<TSimd, T>
    {
        ref T dvalue = ref MemoryMarshal.GetReference(Dvalue);
        ref T dgamma = ref MemoryMarshal.GetReference(Dgamma);
        ref T dbeta = ref MemoryMarshal.GetReference(Dbeta);
        ref T dyRef = ref MemoryMarshal.GetReference(Dy);
        ref T v = ref MemoryMarshal.GetReference(Value);
        ref T gamma = ref MemoryMarshal.GetReference(Gamma);
        bool hasBeta = !Dbeta.IsEmpty, accumulate = Accumulate;
        TSimd mean = TSimd.Broadcast(Mean), rstd = TSimd.Broadcast(Rstd);
        TSimd a = TSimd.Broadcast(MeanDnorm), b = TSimd.Broadcast(MeanDnormNorm);
        int w = TSimd.Count, i = start;
        for (; i <= end - w; i += w)
        {
            nuint o = (nuint)i;
            TSimd dy = TSimd.Load(ref dyRef, o);
            TSimd norm = (TSimd.Load(ref v, o) - mean) * rstd;
            if (hasBeta)
                TSimd.Store(TSimd.Load(ref dbeta, o) + dy, ref dbeta, o);
            TSimd.Store(TSimd.MultiplyAdd(dy, norm, TSimd.Load(ref dgamma, o)), ref dgamma, o);
            TSimd d = (TSimd.Load(ref gamma, o) * dy - a - norm * b) * rstd;
            if (accumulate)
                d += TSimd.Load(ref dvalue, o);
            TSimd.Store(d, ref dvalue, o);
        }
        return i;
    }
}

/// <summary>
/// The row-wise forward and backward of LayerNorm and RMSNorm, and the argument checks of every normalization
/// kernel (messages built only on failure).
/// </summary>
internal static class Normalization
{
    /// <summary>
    /// Per row: <c>v = residual</c>, or <c>v = sum = residual + scale·branch</c> when <paramref name="branch"/> is
    /// non-empty; its statistics in one pass; then <c>y = (v − μ)·rstd·γ (+ β)</c> in a second pass while the row is
    /// in cache. Centered (LayerNorm): <c>μ</c> the row mean, <c>rstd = 1/√(σ² + ε)</c>, and <paramref name="mean"/>
    /// receives <c>μ</c>. Not centered (RMSNorm): <c>μ = 0</c>, <c>rstd = 1/√(mean(v²) + ε)</c>. Lengths are the
    /// caller's responsibility.
    /// </summary>
    public static void RowsForward<T>(Span<T> y, Span<T> mean, Span<T> rstd, Span<T> sum, ReadOnlySpan<T> residual, ReadOnlySpan<T> branch, T scale,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int features, T epsilon, bool centered)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool fused = !branch.IsEmpty;
        T count = T.CreateTruncating(features);
        for (int s = 0; s < batch; s++)
        {
            int offset = s * features;
            ReadOnlySpan<T> residualRow = residual.Slice(offset, features);
            var moments = new RowMoments<T> { Residual = residualRow, Scale = scale };
            if (fused)
            {
                moments.Branch = branch.Slice(offset, features);
                moments.Sum = sum.Slice(offset, features);
            }
            if (centered) // the row's first value is within a few σ of its mean: a good shift
                moments.Shift = fused ? T.MultiplyAddEstimate(moments.Branch[0], scale, residualRow[0]) : residualRow[0];
            Simd.Run<RowMoments<T>, T>(ref moments, features);

            T rowMean = T.Zero, meanSquare;
            if (centered)
            {
                (rowMean, meanSquare) = MeanAndVariance(moments.Shift, moments.ShiftedSum, moments.ShiftedSquares, count);
                mean[s] = rowMean;
            }
            else
            {
                meanSquare = moments.ShiftedSquares / count;
            }
            T rowRstd = T.One / T.Sqrt(meanSquare + epsilon);
            rstd[s] = rowRstd;

            var normalize = new RowNormalize<T>
            {
                Y = y.Slice(offset, features),
                Value = fused ? sum.Slice(offset, features) : residualRow,
                Gamma = gamma,
                Beta = beta,
                Mean = rowMean,
                Rstd = rowRstd,
            };
            Simd.Run<RowNormalize<T>, T>(ref normalize, features);
        }
    }

    /// <summary>
    /// Per row, with <c>n̂ = (v − μ)·rstd</c>, <c>dn̂ = γ ⊙ dy</c>: one pass for <c>Σ dn̂</c> and <c>Σ dn̂ ⊙ n̂</c>,
    /// then one that writes <c>dv = (dn̂ − mean(dn̂) − n̂·mean(dn̂ ⊙ n̂))·rstd</c> (overwriting, or added when
    /// <paramref name="accumulate"/>) and adds <c>dγ += dy ⊙ n̂</c>, <c>dβ += dy</c>. Not centered (RMSNorm):
    /// <c>μ = 0</c>, the <c>mean(dn̂)</c> term dropped, no β. Lengths are the caller's responsibility.
    /// </summary>
    public static void RowsBackward<T>(Span<T> dvalue, Span<T> dgamma, Span<T> dbeta, ReadOnlySpan<T> dy, ReadOnlySpan<T> value,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, int batch, int features, bool centered, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(features);
        for (int s = 0; s < batch; s++)
        {
            int offset = s * features;
            ReadOnlySpan<T> dyRow = dy.Slice(offset, features), valueRow = value.Slice(offset, features);
            T rowMean = centered ? mean[s] : T.Zero, rowRstd = rstd[s];
            var sums = new RowGradientSums<T> { Dy = dyRow, Value = valueRow, Gamma = gamma, Mean = rowMean, Rstd = rowRstd };
            Simd.Run<RowGradientSums<T>, T>(ref sums, features);

            var gradient = new RowGradient<T>
            {
                Dvalue = dvalue.Slice(offset, features),
                Dgamma = dgamma,
                Dbeta = dbeta,
                Dy = dyRow,
                Value = valueRow,
                Gamma = gamma,
                Mean = rowMean,
                Rstd = rowRstd,
                MeanDnorm = centered ? sums.SumDnorm / count : T.Zero,
                MeanDnormNorm = sums.SumDnormNorm / count,
                Accumulate = accumulate,
            };
            Simd.Run<RowGradient<T>, T>(ref gradient, features);
        }
    }

    public static void CheckSizes(int batch, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
    }

    /// <summary>A <c>(batch, features)</c> activation.</summary>
    public static void CheckRows(int length, int batch, int features, string parameterName)
        => Gemm.CheckLength(length, batch, features, parameterName, "(batch, features)");

    /// <summary>A per-feature vector such as γ, β or a running statistic.</summary>
    public static void CheckFeatures(int length, int features, string parameterName)
    {
        if (length != features) Guard.Length(length, features, $"(features) = ({features})", parameterName);
    }

    /// <summary>A per-sample vector such as LayerNorm's cached mean and rstd.</summary>
    public static void CheckBatch(int length, int batch, string parameterName)
    {
        if (length != batch) Guard.Length(length, batch, $"(batch) = ({batch})", parameterName);
    }

    /// <summary>
    /// <c>μ = K + S₁/n</c> and <c>rstd = 1/√(σ² + ε)</c> with the biased <c>σ² = max(S₂/n − (S₁/n)², 0)</c>, from
    /// the shifted moments of <see cref="RowMoments{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T Mean, T Variance) MeanAndVariance<T>(T shift, T shiftedSum, T shiftedSquares, T count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T meanShift = shiftedSum / count;
        return (shift + meanShift, T.Max(shiftedSquares / count - meanShift * meanShift, T.Zero));
    }
}
