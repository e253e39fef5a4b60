using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;

namespace ChainRule.Generators.Kinds;

/// <summary><c>[LayerNorm]</c>, <c>[RMSNorm]</c> or <c>[BatchNorm]</c>.</summary>
/// <param name="Epsilon">The declared ε; 0 selects the kind's default.</param>
internal sealed record NormSpec(string Name, string Modifiers, NormKind Kind, double Epsilon)
    : LayerSpec(Name, Modifiers)
{
    public override LayerKind LayerKind => NormLayerKind.For(Kind);
}

/// <summary>
/// Standalone normalization layers, one registered kind per attribute (<c>[LayerNorm]</c>, <c>[RMSNorm]</c>,
/// <c>[BatchNorm]</c>): parsing here, lowering in <c>NormLayerKind.Lowering.cs</c>, the generated code in
/// <c>NormLayerKind.Emitting.cs</c>. Residual blocks' norms use the same lowering and kernels' calls.
/// </summary>
internal sealed partial class NormLayerKind(NormKind kind, string attributeName) : LayerKind<NormSpec, NormStep>(attributeName, "NormLayer", "Norm layer")
{
    public static readonly NormLayerKind LayerNorm = new(NormKind.LayerNorm, "ChainRule.LayerNormAttribute");
    public static readonly NormLayerKind RMSNorm = new(NormKind.RMSNorm, "ChainRule.RMSNormAttribute");
    public static readonly NormLayerKind BatchNorm = new(NormKind.BatchNorm, "ChainRule.BatchNormAttribute");

    public static NormLayerKind For(NormKind kind) => kind switch
    {
        NormKind.LayerNorm => LayerNorm,
        NormKind.RMSNorm => RMSNorm,
        _ => BatchNorm,
    };

    public override LayerSpec? Parse(LayerParseContext layer)
    {
        string name = layer.Name;
        double epsilon = layer.ReadEpsilon();
        layer.CheckDeclaredWidth("Features", $"{kind} '{name}'");
        return layer.Usable ? new NormSpec(name, layer.Modifiers, kind, epsilon) : null;
    }
}
