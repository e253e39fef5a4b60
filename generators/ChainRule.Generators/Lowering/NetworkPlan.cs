using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>
/// A network lowered to what the emitter writes: every size and offset resolved, layers in forward order.
/// The backward pass is this list walked in reverse.
/// </summary>
/// <param name="HintName">Name of the generated file, <c>{Namespace}.{Type}.g.cs</c>.</param>
/// <param name="ElementType">The C# keyword of the element type, <c>float</c> or <c>double</c>.</param>
/// <param name="ParameterCount">Length of the parameter (and gradient) buffer.</param>
/// <param name="ActivationsPerSample">Elements the forward pass stores per sample; the workspace holds this × batch.</param>
/// <param name="Output">The buffer holding the network's output.</param>
internal sealed record NetworkPlan(
    string HintName,
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string TypeName,
    string ElementType,
    int Inputs,
    int Outputs,
    int ParameterCount,
    int ActivationsPerSample,
    LossKind Loss,
    ActivationBuffer Output,
    EquatableArray<DenseStep> Layers);

/// <summary>
/// A region of the activation workspace: <c>Width</c> values per sample starting at <c>OffsetPerSample × B</c>,
/// so a batch of B rows is stored contiguously as <c>(B, Width)</c>.
/// </summary>
/// <param name="Name">The local variable naming it in generated code, e.g. <c>hidden_out</c>.</param>
internal sealed record ActivationBuffer(string Name, int OffsetPerSample, int Width);

/// <summary>One dense layer with its parameter offsets and the workspace buffers it reads and writes.</summary>
/// <param name="Index">Position in the network, from 0.</param>
/// <param name="Name">The declared property name.</param>
/// <param name="Modifiers">The property's modifiers, repeated on the implementing declaration.</param>
/// <param name="Variable">The snake_case stem of the layer's locals, e.g. <c>hidden</c>.</param>
/// <param name="WeightOffset">Offset of <c>W</c> (shape <c>(Outputs, Inputs)</c>) in the parameter buffer.</param>
/// <param name="BiasOffset">Offset of <c>b</c> (shape <c>(Outputs)</c>) in the parameter buffer.</param>
/// <param name="Init">The resolved initialization scheme, never <see cref="InitKind.Default"/>.</param>
/// <param name="Input">The buffer the layer reads; <c>null</c> for the first layer, which reads the network input.</param>
/// <param name="PreActivation">Where <c>x Wᵀ + b</c> is stored; the same as <paramref name="Output"/> for Identity.</param>
/// <param name="Output">Where the activation's output is stored.</param>
internal sealed record DenseStep(
    int Index,
    string Name,
    string Modifiers,
    string Variable,
    int Inputs,
    int Outputs,
    int WeightOffset,
    int BiasOffset,
    ActivationKind Activation,
    InitKind Init,
    ActivationBuffer? Input,
    ActivationBuffer PreActivation,
    ActivationBuffer Output)
{
    public bool HasActivation => Activation != ActivationKind.Identity;

    public int WeightCount => Inputs * Outputs;
}
