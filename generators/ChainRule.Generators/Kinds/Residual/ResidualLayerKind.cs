using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.Generators.Kinds;

/// <summary><c>[Residual(norm, activation, Repeat = …, Hidden = …, Placement = …, ReZero = …)]</c>.</summary>
/// <param name="Hidden">The branch's hidden width; 0 for the block's width.</param>
/// <param name="Epsilon">The declared ε; 0 selects the kind's default.</param>
internal sealed record ResidualSpec(
    string Name,
    string Modifiers,
    NormKind Norm,
    ActivationKind Activation,
    int Repeat,
    int Hidden,
    NormPlacementKind Placement,
    bool ReZero,
    double Epsilon)
    : LayerSpec(Name, Modifiers)
{
    public override LayerKind LayerKind => ResidualLayerKind.Instance;
}

/// <summary>
/// Residual stacks, <c>Repeat</c> blocks of <c>x + α·F(Norm(x))</c> (pre-norm) or <c>Norm(x + α·F(x))</c> (post-norm)
/// with <c>F</c> two dense products: parsing here, lowering in <c>ResidualLayerKind.Lowering.cs</c>, the generated code
/// in <c>ResidualLayerKind.Emitting.cs</c>. A block is built from the dense and norm kinds' lowering and code.
/// </summary>
internal sealed partial class ResidualLayerKind() : LayerKind<ResidualSpec, ResidualStep>("ChainRule.ResidualAttribute", "ResidualStack", "Residual stack")
{
    public static readonly ResidualLayerKind Instance = new();

    public override LayerSpec? Parse(LayerParseContext layer)
    {
        if (layer.Attribute.ConstructorArguments.Length < 2)
            return null;
        string name = layer.Name;
        bool usable = layer.Usable;
        var norm = layer.Enum<NormKind>(layer.Attribute.ConstructorArguments[0].Value, "norm", position: 0, "Norm", ref usable);
        var activation = layer.Enum<ActivationKind>(layer.Attribute.ConstructorArguments[1].Value, "activation", position: 1, "Activation", ref usable);
        var placement = layer.NamedEnum<NormPlacementKind>("Placement", "NormPlacement", ref usable);
        layer.Usable = usable;
        int repeat = layer.Named("Repeat") is { } r
            ? layer.RequirePositive(r, "Repeat", position: -1, $"Repeat of '{name}'")
            : 1;
        int hidden = layer.Named("Hidden") is { } h and not 0
            ? layer.RequirePositive(h, "Hidden", position: -1, $"Hidden of '{name}'")
            : 0;
        bool reZero = layer.Named("ReZero") is true;
        double epsilon = layer.ReadEpsilon();
        layer.CheckDeclaredWidth("Width", $"Residual stack '{name}'");
        return layer.Usable ? new ResidualSpec(name, layer.Modifiers, norm, activation, repeat, hidden, placement, reZero, epsilon) : null;
    }

    public override AttributeArgumentSyntax? TooLargeArgument(LayerParseContext layer, bool tooManyLayers) =>
        tooManyLayers ? layer.Argument("Repeat", position: -1) : layer.Argument("Hidden", position: -1) ?? layer.Argument("Repeat", position: -1);
}
