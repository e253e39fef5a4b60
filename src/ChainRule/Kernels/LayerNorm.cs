using System;
using System.Numerics;

namespace ChainRule.Kernels;

/// <summary>
/// Layer normalization over the features of each sample, as <c>torch.nn.LayerNorm(features)</c>: for every row
/// <c>x</c> of a <c>(batch, features)</c> activation, <c>μ = mean(x)</c>, the biased <c>σ² = mean((x − μ)²)</c>,
/// <c>rstd = 1/√(σ² + ε)</c> and <c>y = (x − μ)·rstd·γ + β</c>.
/// </summary>
/// <remarks>
/// <para>
/// The forward caches, per row, the mean <c>μ</c> and the reciprocal standard deviation <c>rstd</c>
/// (<c>(batch)</c> each): with the input itself they give the normalized <c>n̂ = (x − μ)·rstd</c> again, so the
/// backward never stores a <c>(batch, features)</c> intermediate (llm.c's <c>layernorm_forward/backward</c>).
/// </para>
/// <para>
/// The <c>Add</c> forms fuse a residual connection in front of the norm, <c>sum = residual + scale·branch</c> then
/// <c>y = LayerNorm(sum)</c>: each row's sum and its statistics come out of one pass, and the normalization runs while
/// the row is still in cache. Their backward adds the norm's gradient to the one already flowing through the skip.
/// </para>
/// <para>Outputs must not overlap the inputs, except that <c>y</c> may be <c>x</c> (or <c>sum</c>).</para>
/// </remarks>
public static class LayerNorm
{
    /// <summary>
    /// Per row <c>s</c>: <c>mean[s] = μ</c>, <c>rstd[s] = 1/√(σ² + ε)</c>, <c>y[s,i] = (x[s,i] − μ)·rstd[s]·γ[i] + β[i]</c>.
    /// </summary>
    /// <param name="y">Output, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">Cached per-row mean, shape <c>(batch)</c>.</param>
    /// <param name="rstd">Cached per-row <c>1/√(σ² + ε)</c>, shape <c>(batch)</c>.</param>
    /// <param name="x">Input, shape <c>(batch, features)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="beta">Shift β, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <param name="epsilon">ε added to the variance (PyTorch's default 1e-5).</param>
    public static void Forward<T>(Span<T> y, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        int batch, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckForward(y.Length, mean.Length, rstd.Length, x.Length, gamma.Length, beta.Length, batch, features, nameof(x));
        Normalization.RowsForward(y, mean, rstd, Span<T>.Empty, x, ReadOnlySpan<T>.Empty, T.Zero, gamma, beta, batch, features, epsilon, centered: true);
    }

    /// <summary>
    /// With <c>n̂ = (x − μ)·rstd</c> and <c>dn̂ = γ ⊙ dy</c>, per row: <c>dx = (dn̂ − mean(dn̂) − n̂·mean(dn̂ ⊙ n̂))·rstd</c>
    /// (overwritten), <c>dγ += Σ_s dy ⊙ n̂</c>, <c>dβ += Σ_s dy</c> (accumulated, in the same pass as <c>dx</c>).
    /// </summary>
    /// <param name="dx">Gradient of the input, shape <c>(batch, features)</c>; overwritten.</param>
    /// <param name="dgamma">Accumulated gradient of γ, shape <c>(features)</c>.</param>
    /// <param name="dbeta">Accumulated gradient of β, shape <c>(features)</c>.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, features)</c>.</param>
    /// <param name="x">The forward input, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">The forward's cached mean, shape <c>(batch)</c>.</param>
    /// <param name="rstd">The forward's cached rstd, shape <c>(batch)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    public static void Backward<T>(Span<T> dx, Span<T> dgamma, Span<T> dbeta, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dx.Length, dgamma.Length, dbeta.Length, dy.Length, x.Length, mean.Length, rstd.Length, gamma.Length, batch, features, nameof(dx), nameof(x));
        Normalization.RowsBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, batch, features, centered: true, accumulate: false);
    }

    /// <summary>
    /// The residual add fused with the norm: <c>sum = residual + scale·branch</c>, then
    /// <c>y = LayerNorm(sum)</c> as <see cref="Forward{T}"/>, one pass over each row for the sum and its statistics.
    /// </summary>
    /// <param name="sum">The residual stream after the add, shape <c>(batch, features)</c>; the backward reads it.</param>
    /// <param name="y">Normalized output, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">Cached per-row mean of <paramref name="sum"/>, shape <c>(batch)</c>.</param>
    /// <param name="rstd">Cached per-row <c>1/√(σ² + ε)</c> of <paramref name="sum"/>, shape <c>(batch)</c>.</param>
    /// <param name="residual">The skip input, shape <c>(batch, features)</c>.</param>
    /// <param name="branch">The branch output <c>F(·)</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="scale">The branch scale α (1 for a plain residual; ReZero/SkipInit learn it).</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="beta">Shift β, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <param name="epsilon">ε added to the variance.</param>
    public static void AddForward<T>(Span<T> sum, Span<T> y, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> residual, ReadOnlySpan<T> branch, T scale,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckForward(y.Length, mean.Length, rstd.Length, residual.Length, gamma.Length, beta.Length, batch, features, nameof(residual));
        Normalization.CheckRows(sum.Length, batch, features, nameof(sum));
        Normalization.CheckRows(branch.Length, batch, features, nameof(branch));
        if (batch == 0)
            return; // an empty branch would otherwise read as "not fused"
        Normalization.RowsForward(y, mean, rstd, sum, residual, branch, scale, gamma, beta, batch, features, epsilon, centered: true);
    }

    /// <summary>
    /// <c>dsum += ∂LayerNorm(sum)/∂sum · dy</c>, i.e. <see cref="Backward{T}"/>'s <c>dx</c> added to the gradient that
    /// already arrived through the skip path; <c>dγ +=</c>, <c>dβ +=</c> as there.
    /// </summary>
    /// <param name="dsum">On entry the skip path's gradient of <c>sum</c>, on exit the total, shape <c>(batch, features)</c>.</param>
    /// <param name="dgamma">Accumulated gradient of γ, shape <c>(features)</c>.</param>
    /// <param name="dbeta">Accumulated gradient of β, shape <c>(features)</c>.</param>
    /// <param name="dy">Gradient of the normalized output, shape <c>(batch, features)</c>.</param>
    /// <param name="sum">The forward's <c>sum</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="mean">The forward's cached mean, shape <c>(batch)</c>.</param>
    /// <param name="rstd">The forward's cached rstd, shape <c>(batch)</c>.</param>
    /// <param name="gamma">Scale γ, shape <c>(features)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    public static void AddBackward<T>(Span<T> dsum, Span<T> dgamma, Span<T> dbeta, ReadOnlySpan<T> dy, ReadOnlySpan<T> sum, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dsum.Length, dgamma.Length, dbeta.Length, dy.Length, sum.Length, mean.Length, rstd.Length, gamma.Length, batch, features, nameof(dsum), nameof(sum));
        Normalization.RowsBackward(dsum, dgamma, dbeta, dy, sum, mean, rstd, gamma, batch, features, centered: true, accumulate: true);
    }

    private static void CheckForward(int y, int mean, int rstd, int x, int gamma, int beta, int batch, int features, string inputName)
    {
        Normalization.CheckSizes(batch, features);
        Normalization.CheckRows(y, batch, features, nameof(y));
        Normalization.CheckBatch(mean, batch, nameof(mean));
        Normalization.CheckBatch(rstd, batch, nameof(rstd));
        Normalization.CheckRows(x, batch, features, inputName);
        Normalization.CheckFeatures(gamma, features, nameof(gamma));
        Normalization.CheckFeatures(beta, features, nameof(beta));
    }

    private static void CheckBackward(int dx, int dgamma, int dbeta, int dy, int x, int mean, int rstd, int gamma, int batch, int features,
        string gradientName, string inputName)
    {
        Normalization.CheckSizes(batch, features);
        Normalization.CheckRows(dx, batch, features, gradientName);
        Normalization.CheckFeatures(dgamma, features, nameof(dgamma));
        Normalization.CheckFeatures(dbeta, features, nameof(dbeta));
        Normalization.CheckRows(dy, batch, features, nameof(dy));
        Normalization.CheckRows(x, batch, features, inputName);
        Normalization.CheckBatch(mean, batch, nameof(mean));
        Normalization.CheckBatch(rstd, batch, nameof(rstd));
        Normalization.CheckFeatures(gamma, features, nameof(gamma));
    }
}
