using ChainRule.Generators.Kinds;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>
/// A network lowered to what the emitter writes: every size and offset resolved, steps in forward order.
/// The backward pass is this list walked in reverse.
/// </summary>
/// <param name="Hint">What the name of the generated file is chosen from (<see cref="HintNames"/>).</param>
/// <param name="Namespace">The namespace's names joined by dots, unescaped; the type names are unescaped too.</param>
/// <param name="ElementType">The C# keyword of the element type, <c>float</c> or <c>double</c>.</param>
/// <param name="ParameterCount">Length of the parameter (and gradient) buffer.</param>
/// <param name="ActivationsPerSample">Workspace elements per sample; the workspace holds this × batch, then the fixed part.</param>
/// <param name="FixedActivations">Workspace elements that do not grow with the batch (BatchNorm's batch statistics).</param>
/// <param name="StatisticsCount">Length of the running-statistics buffer (BatchNorm's running mean and variance).</param>
/// <param name="PredictChunk">Rows of the model's own prediction workspace: 16, or fewer if 16 rows would not fit one array.</param>
/// <param name="Output">The buffer holding the network's output.</param>
/// <param name="LayerNames">Every parameterized layer's name, in order; residual blocks contribute <c>Name.i.norm/up/down</c>.</param>
/// <param name="PredictedDecades">
/// <see cref="GradientFlowEstimate.RelativeDecades"/> of this plan, one per <see cref="LayerNames"/> entry, computed once
/// by <see cref="NetworkLowering.Lower"/> for the summary, <c>PredictedGradientNorms</c> and CR0021; empty when lowered
/// without it (<see cref="Diagnostics.StabilityAnalyzer"/>'s lints need only the structure).
/// </param>
internal sealed record NetworkPlan(
    HintKey Hint,
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string ElementType,
    int Inputs,
    int Outputs,
    int ParameterCount,
    int ActivationsPerSample,
    int FixedActivations,
    int StatisticsCount,
    int PredictChunk,
    LossKind Loss,
    ActivationBuffer Output,
    EquatableArray<string> LayerNames,
    EquatableArray<PlanStep> Steps)
{
    public EquatableArray<double> PredictedDecades { get; init; } = EquatableArray<double>.Empty;

    /// <summary>Values of <c>‖∂L/∂h_t‖</c> the backward pass measures: <c>T</c> per recurrent layer; 0 without one.</summary>
    public int HiddenGradientNormCount { get; init; }

    /// <summary>Whether a step is recurrent: its kernel's backward pass writes into its forward cache, so the passes take the workspace writable.</summary>
    public bool HasRecurrent => HiddenGradientNormCount > 0;

    public bool HasBatchNorm => StatisticsCount > 0;
}

/// <summary>
/// A region of the activation workspace. Per-sample buffers hold <c>Width</c> values per sample from
/// <c>Offset × B</c>, so a batch is stored contiguously as <c>(B, Width)</c>; fixed buffers (batch statistics)
/// hold <c>Width</c> values from <c>ActivationsPerSample × B + Offset</c>.
/// </summary>
/// <param name="Name">The local variable naming it in generated code, e.g. <c>hidden_out</c>.</param>
/// <summary>
/// One model after lowering, as the generator's pipeline carries it: the plan (null when the declaration has errors)
/// and, beside it, what the stability lints and diagnostics need from parsing, so that a model is lowered once.
/// </summary>
/// <param name="Diagnostics">The parser's diagnostics.</param>
/// <param name="Sites">Where each layer is declared (<see cref="ParseResult.Sites"/>).</param>
internal sealed record LoweredModel(NetworkPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics, EquatableArray<LayerSite> Sites)
{
    public static LoweredModel From(ParseResult result, System.Threading.CancellationToken cancellationToken) =>
        new(result.Spec is { } spec ? NetworkLowering.Lower(spec, cancellationToken) : null, result.Diagnostics, result.Sites);
}

internal sealed record ActivationBuffer(string Name, int Offset, int Width, bool PerSample = true);

/// <summary>One declared layer, lowered.</summary>
/// <param name="Index">Position in the network, from 0.</param>
/// <param name="Name">The declared property name.</param>
/// <param name="Modifiers">The property's modifiers, repeated on the implementing declaration.</param>
/// <param name="Input">The buffer the layer reads; <c>null</c> for the network input.</param>
/// <param name="Output">The buffer holding the layer's result.</param>
internal abstract record PlanStep(int Index, string Name, string Modifiers, ActivationBuffer? Input, ActivationBuffer Output)
{
    /// <summary>The kind that lowered this step and emits its code.</summary>
    public abstract LayerKind LayerKind { get; }
}
