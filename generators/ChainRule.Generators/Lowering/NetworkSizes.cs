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

    public static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    public static long Multiply(long a, long b) => a != 0 && b > long.MaxValue / a ? long.MaxValue : a * b;

    /// <summary>The footprint of <paramref name="layer"/> reading <paramref name="width"/> values per sample.</summary>
    /// <param name="first">Whether the layer reads the network's input (a norm then stores its input's gradient itself).</param>
    public static Footprint Of(LayerSpec layer, long width, bool first) => layer.LayerKind.Measure(layer, width, first);

    /// <summary>
    /// The footprint of a layer that reads <paramref name="width"/> features per row and <paramref name="steps"/> rows per
    /// sample: a layer applied per step of a sequence keeps its per-row workspace for every step; a recurrent layer
    /// measures its whole sequence itself.
    /// </summary>
    public static Footprint Of(LayerSpec layer, long width, bool first, long steps)
    {
        Footprint footprint = Of(layer, width, first);
        return steps <= 1 || layer.LayerKind.IsRecurrent ? footprint : footprint with { PerSample = Multiply(steps, footprint.PerSample) };
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
