namespace ChainRule.Generators.Model;

/// <summary>
/// What the user declared, reduced to strings, numbers and enums: everything code generation needs and
/// nothing from the compilation, so equal declarations compare equal across runs.
/// </summary>
/// <param name="Namespace">The containing namespace, empty for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of enclosing types, outermost first, e.g. <c>partial class Outer</c>.</param>
/// <param name="TypeName">The model class's name.</param>
/// <param name="Inputs">Input features per sample.</param>
/// <param name="Layers">Layers in declaration order.</param>
internal sealed record NetworkSpec(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string TypeName,
    int Inputs,
    LossKind Loss,
    PrecisionKind Precision,
    EquatableArray<LayerSpec> Layers);

/// <summary>One <c>[Dense]</c> layer as declared on a partial property.</summary>
/// <param name="Name">The property name.</param>
/// <param name="Modifiers">The property's modifiers as written (the implementing declaration repeats them).</param>
/// <param name="Units">Output width.</param>
/// <param name="Init">The declared initialization; <see cref="InitKind.Default"/> until lowering resolves it.</param>
internal sealed record LayerSpec(
    string Name,
    string Modifiers,
    int Units,
    ActivationKind Activation,
    InitKind Init);
