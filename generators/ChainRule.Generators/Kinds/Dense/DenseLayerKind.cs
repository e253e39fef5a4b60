using ChainRule.Generators.Diagnostics;
using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.Generators.Kinds;

/// <summary><c>[Dense(units, activation, Init = …, Bias = …)]</c>.</summary>
/// <param name="Init">The declared initialization; <see cref="InitKind.Default"/> until lowering resolves it.</param>
/// <param name="HasBias">Whether the layer adds a bias (<c>Bias = false</c>: PyTorch's <c>nn.Linear(bias=False)</c>).</param>
internal sealed record DenseSpec(string Name, string Modifiers, int Units, ActivationKind Activation, InitKind Init, bool HasBias = true)
    : LayerSpec(Name, Modifiers)
{
    public override LayerKind LayerKind => DenseLayerKind.Instance;
}

/// <summary>
/// Dense layers, <c>y = act(x Wᵀ + b)</c>: parsing here, lowering and the estimate in <c>DenseLayerKind.Lowering.cs</c>,
/// the generated code in <c>DenseLayerKind.Emitting.cs</c>. Residual blocks are built from the same lowering and code.
/// </summary>
internal sealed partial class DenseLayerKind() : LayerKind<DenseSpec, DenseStep>("ChainRule.DenseAttribute", "DenseLayer", "Layer")
{
    public static readonly DenseLayerKind Instance = new();

    public override LayerSpec? Parse(LayerParseContext layer)
    {
        if (layer.Attribute.ConstructorArguments.Length < 2)
            return null;
        string name = layer.Name;
        int units = layer.RequirePositive(layer.Attribute.ConstructorArguments[0].Value, "units", position: 0, $"Units of layer '{name}'");
        bool usable = layer.Usable;
        var activation = layer.Enum<ActivationKind>(layer.Attribute.ConstructorArguments[1].Value, "activation", position: 1, "Activation", ref usable);
        var init = layer.NamedEnum<InitKind>("Init", "Init", ref usable);
        if (init == InitKind.Zeros)
        {
            usable = false;
            layer.Report(DiagnosticDescriptors.ZeroInitialization, layer.Argument("Init", position: -1), name);
        }
        bool hasBias = layer.Named("Bias") is not false;
        return usable ? new DenseSpec(name, layer.Modifiers, units, activation, init, hasBias) : null;
    }

    public override bool AppliesPerStep => true;

    public override AttributeArgumentSyntax? TooLargeArgument(LayerParseContext layer, bool tooManyLayers) => layer.Argument("units", position: 0);

    /// <summary>CR0009: a logit loss applies its own sigmoid or softmax, so an activation before it squashes the logits twice.</summary>
    protected override void CheckLast(LayerParseContext layer, DenseSpec spec, LossKind loss)
    {
        if (spec.Activation != ActivationKind.Identity && loss is LossKind.SoftmaxCrossEntropy or LossKind.BinaryCrossEntropyWithLogits)
            layer.Report(DiagnosticDescriptors.ActivationBeforeLogitLoss, layer.Argument("activation", position: 1),
                spec.Name, spec.Activation.ToString(), loss.ToString());
    }

    protected override int OutputWidth(DenseSpec spec, int inputWidth) => spec.Units;
}
