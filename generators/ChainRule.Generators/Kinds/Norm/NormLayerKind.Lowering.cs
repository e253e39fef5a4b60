using System.Collections.Generic;
using System.Globalization;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Kinds;

/// <summary>Parameter offsets and cached statistics of one normalization.</summary>
/// <param name="NameIndex">Index of the norm's name in <see cref="NetworkPlan.LayerNames"/>.</param>
/// <param name="GammaOffset">Offset of γ; β follows it except for RMSNorm.</param>
/// <param name="StatisticsOffset">Offset of BatchNorm's running mean (the variance follows); −1 for other kinds.</param>
/// <param name="BatchesTracked">BatchNorm's index among the model's <c>num_batches_tracked</c> counters; −1 for other kinds.</param>
/// <param name="Mean">The cached mean, per sample (LayerNorm) or per feature (BatchNorm); <c>null</c> for RMSNorm.</param>
/// <param name="Rstd">The cached reciprocal standard deviation.</param>
internal sealed record NormPlan(int NameIndex, NormKind Kind, int Features, string Epsilon, int GammaOffset, int StatisticsOffset, int BatchesTracked,
    ActivationBuffer? Mean, ActivationBuffer Rstd)
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
    : PlanStep(Index, Name, Modifiers, Input, Output)
{
    public override LayerKind LayerKind => NormLayerKind.For(Norm.Kind);
}

internal sealed partial class NormLayerKind
{
    /// <summary>γ (and β) and the cached statistics: per sample for LayerNorm and RMSNorm, per feature for BatchNorm.</summary>
    public static Footprint Measure(NormKind kind, long width) => kind switch
    {
        NormKind.LayerNorm => new(2 * width, 2, 0, 0, 1),
        NormKind.RMSNorm => new(width, 1, 0, 0, 1),
        _ => new(2 * width, 0, 2 * width, 2 * width, 1),
    };

    protected override Footprint Measure(NormSpec spec, long width, bool first) =>
        Measure(spec.Kind, width) + new Footprint(0, first ? 2 * width : width, 0, 0, 0);

    protected override NormStep Lower(NormSpec norm, Lowerer lowering, int width, ActivationBuffer? input)
    {
        string variable = lowering.Locals.Layer(norm.Name);
        NormPlan plan = Lower(lowering, lowering.AddName(norm.Name), norm.Kind, width, norm.Epsilon, variable);
        ActivationBuffer output = lowering.PerSample(LocalNames.Of(variable, Role.Out), width);
        ActivationBuffer? inputGradient = input is null ? lowering.PerSample(LocalNames.Of(variable, Role.In), width) : null;
        return new NormStep(lowering.StepIndex, norm.Name, norm.Modifiers, variable, plan, input, output, inputGradient);
    }

    /// <summary>A norm's parameters, running statistics and cached statistics: a declared norm's or a residual block's.</summary>
    public static NormPlan Lower(Lowerer lowering, int nameIndex, NormKind kind, int width, double declaredEpsilon, string variable)
    {
        int gamma = lowering.Parameters(kind == NormKind.RMSNorm ? width : 2 * width);
        int statistics = kind == NormKind.BatchNorm ? lowering.Statistics(2 * width) : -1;
        int batchesTracked = kind == NormKind.BatchNorm ? lowering.TrackBatches() : -1;
        ActivationBuffer? mean = kind switch
        {
            NormKind.LayerNorm => lowering.PerSample(LocalNames.Of(variable, Role.Mean), 1),
            NormKind.BatchNorm => lowering.Fixed(LocalNames.Of(variable, Role.Mean), width),
            _ => null,
        };
        ActivationBuffer rstd = kind == NormKind.BatchNorm ? lowering.Fixed(LocalNames.Of(variable, Role.Rstd), width) : lowering.PerSample(LocalNames.Of(variable, Role.Rstd), 1);
        double epsilon = declaredEpsilon > 0 ? declaredEpsilon : kind == NormKind.RMSNorm ? 1e-6 : 1e-5;
        return new NormPlan(nameIndex, kind, width, epsilon.ToString("R", CultureInfo.InvariantCulture) + lowering.LiteralSuffix, gamma, statistics, batchesTracked, mean, rstd);
    }

    protected override IEnumerable<LayerTensor> Tensors(NormStep step) => TensorsOf(step.Norm, step.Name);

    /// <summary>γ and β, whose backward kernels add into their gradients; BatchNorm's running statistics and its counter.</summary>
    public static IEnumerable<LayerTensor> TensorsOf(NormPlan norm, string name)
    {
        yield return LayerTensor.Vector(name + ".weight", norm.GammaOffset, norm.Features, norm.NameIndex, accumulates: true);
        if (norm.HasBeta)
            yield return LayerTensor.Vector(name + ".bias", norm.GammaOffset + norm.Features, norm.Features, norm.NameIndex, accumulates: true);
        if (norm.Kind != NormKind.BatchNorm)
            yield break;
        yield return new LayerTensor(TensorStore.Statistic, name + ".running_mean", norm.StatisticsOffset, 0, norm.Features, norm.NameIndex, Accumulates: false);
        yield return new LayerTensor(TensorStore.Statistic, name + ".running_var", norm.StatisticsOffset + norm.Features, 0, norm.Features, norm.NameIndex, Accumulates: false);
        yield return new LayerTensor(TensorStore.BatchesTracked, name + ".num_batches_tracked", norm.BatchesTracked, 0, 0, norm.NameIndex, Accumulates: false);
    }

    protected override GradientFlowEstimate.Signal Estimate(NormStep step, GradientFlowEstimate.Walk walk, GradientFlowEstimate.Signal x) => walk.Norm(step.Norm, x);
}
