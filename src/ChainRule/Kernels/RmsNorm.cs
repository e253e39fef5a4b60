using System;
using System.Numerics;

namespace ChainRule.Kernels;

/// <summary>
/// Root-mean-square normalization over the features of each sample, as <c>torch.nn.RMSNorm(features)</c>: for every
/// row <c>x</c>, <c>rstd = 1/√(mean(x²) + ε)</c> and <c>y = x·rstd·γ</c>; no mean is subtracted and there is no β.
/// </summary>
/// <remarks>
/// <para>
/// The forward caches <c>rstd</c> per row (<c>(batch)</c>); with the input it gives <c>n̂ = x·rstd</c> back to the
/// backward. The <c>Add</c> forms fuse a residual add in front, as <see cref="LayerNorm"/>'s do.
/// </para>
/// <para>Outputs must not overlap the inputs, except that <c>y</c> may be <c>x</c> (or <c>sum</c>).</para>
/// </remarks>
public static class RmsNorm
{
    /// <summary>Per row <c>s</c>: <c>rstd[s] = 1/√(mean_i x[s,i]² + ε)</c>, <c>y[s,i] = x[s,i]·rstd[s]·γ[i]</c>.</summary>
    /// <param name="y">Output, shape <c>(batch, features)</c>.</param>
    /// <param name="rstd">Cached per-row <c>1/√(mean(x²) + ε)</c>, shape <c>(batch)</c>.</param>
    /// <param name="x">Input, shape <c>(batch, features)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <param name="epsilon">ε added to the mean square (1e-6 by ChainRule's default).</param>
    public static void Forward<T>(Span<T> y, Span<T> rstd, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, int batch, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckForward(y.Length, rstd.Length, x.Length, gamma.Length, batch, features, nameof(x));
        Normalization.RowsForward(y, Span<T>.Empty, rstd, Span<T>.Empty, x, ReadOnlySpan<T>.Empty, T.Zero, gamma, ReadOnlySpan<T>.Empty,
            batch, features, epsilon, centered: false);
    }

    /// <summary>
    /// With <c>n̂ = x·rstd</c> and <c>dn̂ = γ ⊙ dy</c>, per row: <c>dx = (dn̂ − n̂·mean(dn̂ ⊙ n̂))·rstd</c> (overwritten)
    /// and <c>dγ += Σ_s dy ⊙ n̂</c> (accumulated, in the same pass).
    /// </summary>
    /// <param name="dx">Gradient of the input, shape <c>(batch, features)</c>; overwritten.</param>
    /// <param name="dgamma">Accumulated gradient of γ, shape <c>(features)</c>.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, features)</c>.</param>
    /// <param name="x">The forward input, shape <c>(batch, features)</c>.</param>
    /// <param name="rstd">The forward's cached rstd, shape <c>(batch)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    public static void Backward<T>(Span<T> dx, Span<T> dgamma, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dx.Length, dgamma.Length, dy.Length, x.Length, rstd.Length, gamma.Length, batch, features, nameof(dx), nameof(x));
        Normalization.RowsBackward(dx, dgamma, Span<T>.Empty, dy, x, ReadOnlySpan<T>.Empty, rstd, gamma, batch, features, centered: false, accumulate: false);
    }

    /// <summary>
    /// The residual add fused with the norm: <c>sum = residual + scale·branch</c>, then <c>y = RmsNorm(sum)</c> as
    /// <see cref="Forward{T}"/>, one pass over each row for the sum and its mean square.
    /// </summary>
    /// <param name="sum">The residual stream after the add, shape <c>(batch, features)</c>; the backward reads it.</param>
    /// <param name="y">Normalized output, shape <c>(batch, features)</c>.</param>
    /// <param name="rstd">Cached per-row <c>1/√(mean(sum²) + ε)</c>, shape <c>(batch)</c>.</param>
    /// <param name="residual">The skip input, shape <c>(batch, features)</c>.</param>
    /// <param name="branch">The branch output <c>F(·)</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="scale">The branch scale α (1 for a plain residual).</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <param name="epsilon">ε added to the mean square.</param>
    public static void AddForward<T>(Span<T> sum, Span<T> y, Span<T> rstd, ReadOnlySpan<T> residual, ReadOnlySpan<T> branch, T scale,
        ReadOnlySpan<T> gamma, int batch, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckForward(y.Length, rstd.Length, residual.Length, gamma.Length, batch, features, nameof(residual));
        Normalization.CheckRows(sum.Length, batch, features, nameof(sum));
        Normalization.CheckRows(branch.Length, batch, features, nameof(branch));
        if (batch == 0)
            return; // an empty branch would otherwise read as "not fused"
        Normalization.RowsForward(y, Span<T>.Empty, rstd, sum, residual, branch, scale, gamma, ReadOnlySpan<T>.Empty, batch, features, epsilon, centered: false);
    }

    /// <summary>
    /// <c>dsum += ∂RmsNorm(sum)/∂sum · dy</c>, i.e. <see cref="Backward{T}"/>'s <c>dx</c> added to the skip path's
    /// gradient; <c>dγ +=</c> as there.
    /// </summary>
    /// <param name="dsum">On entry the skip path's gradient of <c>sum</c>, on exit the total, shape <c>(batch, features)</c>.</param>
    /// <param name="dgamma">Accumulated gradient of γ, shape <c>(features)</c>.</param>
    /// <param name="dy">Gradient of the normalized output, shape <c>(batch, features)</c>.</param>
    /// <param name="sum">The forward's <c>sum</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="rstd">The forward's cached rstd, shape <c>(batch)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    public static void AddBackward<T>(Span<T> dsum, Span<T> dgamma, ReadOnlySpan<T> dy, ReadOnlySpan<T> sum, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dsum.Length, dgamma.Length, dy.Length, sum.Length, rstd.Length, gamma.Length, batch, features, nameof(dsum), nameof(sum));
        Normalization.RowsBackward(dsum, dgamma, Span<T>.Empty, dy, sum, ReadOnlySpan<T>.Empty, rstd, gamma, batch, features, centered: false, accumulate: true);
    }

    private static void CheckForward(int y, int rstd, int x, int gamma, int batch, int features, string inputName)
    {
        Normalization.CheckSizes(batch, features);
        Normalization.CheckRows(y, batch, features, nameof(y));
        Normalization.CheckBatch(rstd, batch, nameof(rstd));
        Normalization.CheckRows(x, batch, features, inputName);
        Normalization.CheckFeatures(gamma, features, nameof(gamma));
    }

    private static void CheckBackward(int dx, int dgamma, int dy, int x, int rstd, int gamma, int batch, int features, string gradientName, string inputName)
    {
        Normalization.CheckSizes(batch, features);
        Normalization.CheckRows(dx, batch, features, gradientName);
        Normalization.CheckFeatures(dgamma, features, nameof(dgamma));
        Normalization.CheckRows(dy, batch, features, nameof(dy));
        Normalization.CheckRows(x, batch, features, inputName);
        Normalization.CheckBatch(rstd, batch, nameof(rstd));
        Normalization.CheckFeatures(gamma, features, nameof(gamma));
    }
}
