using System;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>
/// What one declared layer adds to a network, counted in 64 bits so that a declaration too large for .NET's
/// arrays is measured instead of wrapping around. It must agree with what <see cref="NetworkLowering"/> allocates;
/// a test lowers every kind of layer and compares the totals.
/// </summary>
/// <param name="Parameters">Elements of the parameter buffer (and of the gradient buffer, which has the same length).</param>
/// <param name="PerSample">Workspace elements per sample.</param>
/// <param name="Fixed">Workspace elements that do not grow with the batch.</param>
/// <param name="Statistics">Elements of the running-statistics buffer.</param>
/// <param name="Layers">Unrolled parameterized layers: one per dense or norm layer, three per residual block.</param>
internal readonly record struct Footprint(long Parameters, long PerSample, long Fixed, long Statistics, long Layers)
{
    // Counts (never negative: the parser measures only layers whose sizes are positive) saturate at long.MaxValue:
    // two int widths and an int Repeat can multiply past 64 bits, and anything near that is over every limit anyway.
    public static Footprint operator +(Footprint a, Footprint b) =>
        new(Add(a.Parameters, b.Parameters), Add(a.PerSample, b.PerSample), Add(a.Fixed, b.Fixed), Add(a.Statistics, b.Statistics), Add(a.Layers, b.Layers));

    public static Footprint operator *(long count, Footprint f) =>
        new(Multiply(count, f.Parameters), Multiply(count, f.PerSample), Multiply(count, f.Fixed), Multiply(count, f.Statistics), Multiply(count, f.Layers));

    private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long Multiply(long a, long b) => a != 0 && b > long.MaxValue / a ? long.MaxValue : a * b;

    /// <summary>The footprint of <paramref name="layer"/> reading <paramref name="width"/> values per sample.</summary>
    /// <param name="first">Whether the layer reads the network's input (a norm then stores its input's gradient itself).</param>
    public static Footprint Of(LayerSpec layer, long width, bool first) => layer switch
    {
        DenseSpec dense => Dense(width, dense.Units, dense.Activation, dense.HasBias),
        NormSpec norm => NormParameters(norm.Kind, width) + new Footprint(0, first ? 2 * width : width, 0, 0, 0),
        ResidualSpec residual => residual.Repeat * Block(residual, width),
        _ => throw new InvalidOperationException($"Unknown layer {layer.GetType().Name}."),
    };

    private static Footprint Dense(long inputs, long outputs, ActivationKind activation, bool hasBias = true) =>
        new(Add(Multiply(inputs, outputs), hasBias ? outputs : 0), NetworkLowering.KeepsPreActivation(activation) ? 2 * outputs : outputs, 0, 0, 1);

    /// <summary>γ (and β) and the cached statistics: per sample for LayerNorm and RMSNorm, per feature for BatchNorm.</summary>
    private static Footprint NormParameters(NormKind kind, long width) => kind switch
    {
        NormKind.LayerNorm => new(2 * width, 2, 0, 0, 1),
        NormKind.RMSNorm => new(width, 1, 0, 0, 1),
        _ => new(2 * width, 0, 2 * width, 2 * width, 1),
    };

    private static Footprint Block(ResidualSpec residual, long width)
    {
        long hidden = residual.Hidden > 0 ? residual.Hidden : width;
        return NormParameters(residual.Norm, width)
            + Dense(width, hidden, residual.Activation)
            + Dense(hidden, width, ActivationKind.Identity)
            // The normalized input (pre-norm) or the sum before the norm (post-norm), the block's output, and α.
            + new Footprint(residual.ReZero ? 1 : 0, 2 * width, 0, 0, 0);
    }
}

/// <summary>The largest network the generator compiles; each limit is documented in docs/diagnostics/CR0015.md.</summary>
internal static class NetworkLimits
{
    /// <summary><c>Array.MaxLength</c> (netstandard2.0 has no such constant): the longest parameter buffer or workspace.</summary>
    public const long MaxArrayLength = 0x7FFFFFC7;

    /// <summary>
    /// Unrolled layers per network. Each is straight-line code (a residual block's is about 7 KB of C#); 1,000 blocks
    /// already make a 7 MB file that takes the C# compiler half a minute.
    /// </summary>
    public const long MaxLayers = 4096;
}
