using System.Collections.Immutable;

namespace ChainRule.Generators.Kinds;

/// <summary>
/// The registry: every layer kind the generator compiles, one entry per layer attribute. The parser finds a
/// declaration's kind here by its attribute (and the analyzers find layer attributes here); a new kind is added by
/// writing its module under <c>Kinds/</c> and listing it once, below.
/// </summary>
internal static class LayerKinds
{
    public static readonly ImmutableArray<LayerKind> All =
    [
        DenseLayerKind.Instance,
        NormLayerKind.LayerNorm,
        NormLayerKind.RMSNorm,
        NormLayerKind.BatchNorm,
        ResidualLayerKind.Instance,
        RecurrentLayerKind.Lstm,
        RecurrentLayerKind.Gru,
        RecurrentLayerKind.Rnn,
    ];

    /// <summary>The kind declared by the attribute class named <paramref name="attributeName"/>, or null for any other attribute.</summary>
    public static LayerKind? ForAttribute(string? attributeName)
    {
        foreach (LayerKind kind in All)
        {
            if (kind.AttributeName == attributeName)
                return kind;
        }
        return null;
    }
}
