using ChainRule.Generators.Kinds;

namespace ChainRule.Generators.Model;

/// <summary>
/// What the user declared, reduced to strings, numbers and enums: everything code generation needs and
/// nothing from the compilation, so equal declarations compare equal across runs.
/// </summary>
/// <param name="Namespace">The containing namespace's names joined by dots, unescaped; empty for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="TypeName">The model class's name, unescaped (<c>event</c> for <c>@event</c>), as are all names in a spec.</param>
/// <param name="Identity">A name unique among the compilation's types, even file-local ones; it tells apart models whose file names would collide.</param>
/// <param name="Inputs">Input features per sample.</param>
/// <param name="Layers">Layers in declaration order.</param>
/// <param name="Steps">The sequence length <c>T</c> of a sequence model, whose samples are <c>(T, Inputs)</c> batch-major; 0 for a model that is not one.</param>
internal sealed record NetworkSpec(
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string Identity,
    int Inputs,
    LossKind Loss,
    PrecisionKind Precision,
    EquatableArray<LayerSpec> Layers,
    int Steps = 0);

/// <summary>A type enclosing the model: <c>partial {Keyword} {Name}</c>.</summary>
/// <param name="Keyword"><c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c> or <c>interface</c>.</param>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>A declared layer: a partial property with a layer attribute.</summary>
/// <param name="Name">The property name.</param>
/// <param name="Modifiers">The property's modifiers as written (the implementing declaration repeats them).</param>
internal abstract record LayerSpec(string Name, string Modifiers)
{
    /// <summary>The kind that parsed this spec and lowers it.</summary>
    public abstract LayerKind LayerKind { get; }
}
