using System;
using System.Numerics;
using System.Runtime.InteropServices;
using ChainRule.Training;

namespace ChainRule.Kernels;

/// <summary>
/// The residual connection <c>sum = residual + α·branch</c> on its own, for the last block of a stack where no norm
/// follows (elsewhere the add is fused into <see cref="LayerNorm"/>, <see cref="RmsNorm"/> or <see cref="BatchNorm"/>),
/// and the gradient of the ReZero/SkipInit scale α. The forward caches nothing: the backward reads the branch output.
/// </summary>
public static class Residual
{
    /// <summary><c>sum[i] = residual[i] + scale·branch[i]</c>, overwriting <paramref name="sum"/>.</summary>
    /// <param name="sum">Output; may be <paramref name="residual"/> or <paramref name="branch"/> itself.</param>
    /// <param name="residual">The skip input.</param>
    /// <param name="branch">The branch output <c>F(·)</c>.</param>
    /// <param name="scale">The branch scale α (1 for a plain residual).</param>
    public static void Add<T>(Span<T> sum, ReadOnlySpan<T> residual, ReadOnlySpan<T> branch, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (residual.Length != sum.Length) Guard.Length(residual.Length, sum.Length, $"({sum.Length}), like sum", nameof(residual));
        if (branch.Length != sum.Length) Guard.Length(branch.Length, sum.Length, $"({sum.Length}), like sum", nameof(branch));
        var loop = new AddLoop<T> { Sum = sum, Residual = residual, Branch = branch, Scale = scale };
        Simd.Run<AddLoop<T>, T>(ref loop, sum.Length);
    }

    /// <summary>
    /// Backward of <c>sum = residual + scale·branch</c> into the branch and the scale:
    /// <c>dbranch[i] = scale·dsum[i]</c> (overwritten) and <c>dscale[0] += Σ_i branch[i]·dsum[i]</c>, in one pass.
    /// The residual's gradient is <c>dsum</c> itself.
    /// </summary>
    /// <param name="dbranch">Gradient of the branch output; may be <paramref name="dsum"/> itself.</param>
    /// <param name="dscale">Accumulated gradient of the scale, length 1.</param>
    /// <param name="dsum">Gradient of <c>sum</c>.</param>
    /// <param name="branch">The forward's branch output.</param>
    /// <param name="scale">The branch scale α.</param>
    public static void ScaleBackward<T>(Span<T> dbranch, Span<T> dscale, ReadOnlySpan<T> dsum, ReadOnlySpan<T> branch, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dscale.Length != 1) Guard.Length(dscale.Length, 1, "(1)", nameof(dscale));
        if (dsum.Length != dbranch.Length) Guard.Length(dsum.Length, dbranch.Length, $"({dbranch.Length}), like dbranch", nameof(dsum));
        if (branch.Length != dbranch.Length) Guard.Length(branch.Length, dbranch.Length, $"({dbranch.Length}), like dbranch", nameof(branch));
        var loop = new ScaleBackwardLoop<T> { Dbranch = dbranch, Dsum = dsum, Branch = branch, Scale = scale };
        Simd.Run<ScaleBackwardLoop<T>, T>(ref loop, dbranch.Length);
        dscale[0] += loop.Dscale;
    }

    private ref struct AddLoop<T> : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Sum;
        public ReadOnlySpan<T> Residual, Branch;
        public T Scale;

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T r = ref MemoryMarshal.GetReference(Residual);
            ref T b = ref MemoryMarshal.GetReference(Branch);
            ref T sum = ref MemoryMarshal.GetReference(Sum);
            TSimd scale = TSimd.Broadcast(Scale);
            int w = TSimd.Count, i = start;
            for (; i <= end - w; i += w)
                RowMoments<T>.Value(ref r, ref b, ref sum, scale, fused: true, (nuint)i); // the same rounding as the fused norms
            return i;
        }
    }

    private ref struct ScaleBackwardLoop<T> : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Dbranch;
        public ReadOnlySpan<T> Dsum, Branch;
        public T Scale, Dscale;

        public int Run<TSimd>(int start, int end)
            where TSimd : struct, ISimd<TSimd, T>
        {
            ref T dbranch = ref MemoryMarshal.GetReference(Dbranch);
            ref T dsum = ref MemoryMarshal.GetReference(Dsum);
            ref T branch = ref MemoryMarshal.GetReference(Branch);
            TSimd scale = TSimd.Broadcast(Scale), total = TSimd.Zero;
            int w = TSimd.Count, i = start;
            for (; i <= end - w; i += w)
            {
                nuint o = (nuint)i;
                TSimd g = TSimd.Load(ref dsum, o);
                TSimd.MultiplyAccumulate(ref total, TSimd.Load(ref branch, o), g); // read before dbranch may overwrite dsum
                TSimd.Store(scale * g, ref dbranch, o);
            }
            Dscale += TSimd.Sum(total);
            return i;
        }
    }
}
