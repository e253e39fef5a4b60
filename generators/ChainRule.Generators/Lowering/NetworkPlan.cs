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
internal abstract record PlanStep(int Index, string Name, string Modifiers, ActivationBuffer? Input, ActivationBuffer Output);

/// <summary>A dense layer, <c>y = act(x Wᵀ + b)</c>, or <c>y = act(x Wᵀ)</c> without bias.</summary>
/// <param name="Variable">The snake_case stem of the layer's locals, e.g. <c>hidden</c>.</param>
/// <param name="NameIndex">Index of the layer's name in <see cref="NetworkPlan.LayerNames"/>.</param>
/// <param name="WeightOffset">Offset of <c>W</c> (shape <c>(Outputs, Inputs)</c>) in the parameter buffer.</param>
/// <param name="BiasOffset">Offset of <c>b</c> (shape <c>(Outputs)</c>); −1 for a layer without bias.</param>
/// <param name="Init">The resolved initialization scheme, never <see cref="InitKind.Default"/>.</param>
/// <param name="Stream">The random stream the weights are drawn from.</param>
/// <param name="PreActivation">Where <c>x Wᵀ + b</c> is stored; the same as the output for Identity and for ReLU (overwritten in place: its backward needs only where the output is positive).</param>
internal sealed record DenseStep(
    int Index,
    string Name,
    string Modifiers,
    string Variable,
    int NameIndex,
    int Inputs,
    int Outputs,
    int WeightOffset,
    int BiasOffset,
    ActivationKind Activation,
    InitKind Init,
    int Stream,
    ActivationBuffer? Input,
    ActivationBuffer PreActivation,
    ActivationBuffer Output)
    : PlanStep(Index, Name, Modifiers, Input, Output)
{
    public bool HasActivation => Activation != ActivationKind.Identity;

    public bool HasBias => BiasOffset >= 0;

    public int WeightCount => Inputs * Outputs;
}

/// <summary>Parameter offsets and cached statistics of one normalization.</summary>
/// <param name="NameIndex">Index of the norm's name in <see cref="NetworkPlan.LayerNames"/>.</param>
/// <param name="GammaOffset">Offset of γ; β follows it except for RMSNorm.</param>
/// <param name="StatisticsOffset">Offset of BatchNorm's running mean (the variance follows); −1 for other kinds.</param>
/// <param name="Mean">The cached mean, per sample (LayerNorm) or per feature (BatchNorm); <c>null</c> for RMSNorm.</param>
/// <param name="Rstd">The cached reciprocal standard deviation.</param>
internal sealed record NormPlan(int NameIndex, NormKind Kind, int Features, string Epsilon, int GammaOffset, int StatisticsOffset, ActivationBuffer? Mean, ActivationBuffer Rstd)
{
    public bool HasBeta => Kind != NormKind.RMSNorm;
}

/// <summary>A standalone normalization layer.</summary>
/// <param name="InputGradient">Where the backward pass writes the input's gradient when the input is the network's own (which needs none).</param>
internal sealed record NormStep(
    int Index,
    string Name,
    string Modifiers,
    string Variable,
    NormPlan Norm,
    ActivationBuffer? Input,
    ActivationBuffer Output,
    ActivationBuffer? InputGradient)
    : PlanStep(Index, Name, Modifiers, Input, Output);

/// <summary><c>Repeat</c> residual blocks, unrolled.</summary>
/// <param name="FirstNameIndex">Index of block 0's norm in <see cref="NetworkPlan.LayerNames"/>; its up and down layers follow.</param>
/// <param name="Offset">Offset of block 0's first parameter.</param>
/// <param name="StatisticsOffset">Offset of block 0's running statistics (BatchNorm blocks); −1 otherwise.</param>
internal sealed record ResidualStep(
    int Index,
    string Name,
    string Modifiers,
    int FirstNameIndex,
    NormKind Norm,
    ActivationKind Activation,
    NormPlacementKind Placement,
    bool ReZero,
    int Width,
    int Hidden,
    int Offset,
    int StatisticsOffset,
    ActivationBuffer? Input,
    ActivationBuffer Output,
    EquatableArray<ResidualBlockPlan> Blocks)
    : PlanStep(Index, Name, Modifiers, Input, Output)
{
    public bool HasActivation => Activation != ActivationKind.Identity;
}

/// <summary>One residual block: its parameters and the workspace buffers of its forward pass.</summary>
/// <param name="Variable">The stem of the block's locals, e.g. <c>body3</c>.</param>
/// <param name="ScaleOffset">Offset of α; −1 without ReZero.</param>
/// <param name="Input">The residual stream entering the block; <c>null</c> for the network input.</param>
/// <param name="Normed">Pre-norm: the normalized input. Post-norm: <c>null</c>.</param>
/// <param name="Sum">Post-norm: <c>x + α·F(x)</c> before the norm. Pre-norm: <c>null</c>.</param>
/// <param name="Output">The residual stream leaving the block.</param>
internal sealed record ResidualBlockPlan(
    int Index,
    string Variable,
    NormPlan Norm,
    DenseStep Up,
    DenseStep Down,
    int ScaleOffset,
    ActivationBuffer? Input,
    ActivationBuffer? Normed,
    ActivationBuffer? Sum,
    ActivationBuffer Output);
