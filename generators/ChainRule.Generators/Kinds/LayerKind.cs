using System.Collections.Generic;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.Generators.Kinds;

/// <summary>
/// Everything the generator knows about one kind of layer, stage by stage: how its attribute parses into a spec, what
/// it adds to a network's sizes, how it lowers into a plan step, and the code it emits in each part of the generated
/// file. The shared parser, lowering and emitter hold no per-kind <c>switch</c>: they find a declaration's kind in
/// <see cref="LayerKinds.All"/> by its attribute, and after that a spec or step names its own (<see
/// cref="LayerSpec.LayerKind"/>, <see cref="PlanStep.LayerKind"/>). Derive from <see cref="LayerKind{TSpec, TStep}"/>,
/// which hands each member the kind's own spec and step types.
/// </summary>
/// <remarks>
/// Parameter tensors are data (<see cref="Tensors"/>): adaptive clipping, checkpoints, the split step's gradient
/// segments, the gradients cleared before a backward pass and each layer's offset are all written from that one list,
/// so a kind states once what it stores and where.
/// </remarks>
internal abstract class LayerKind(string attributeName, string viewType, string noun)
{
    // ---- parsing: the attribute, its rules and the checks that need the declaration ----

    /// <summary>The attribute's metadata name, e.g. <c>ChainRule.DenseAttribute</c>.</summary>
    public string AttributeName { get; } = attributeName;

    /// <summary>The generic view type the property must have, without its type argument, e.g. <c>DenseLayer</c>.</summary>
    public string ViewType { get; } = viewType;

    /// <summary>How CR0015 names a layer of this kind: <c>Layer</c>, <c>Norm layer</c>, <c>Residual stack</c>.</summary>
    public string Noun { get; } = noun;

    /// <summary>The spec of a declaration whose property already passed the shared checks; null (with diagnostics) if unusable.</summary>
    public abstract LayerSpec? Parse(LayerParseContext layer);

    /// <summary>CR0015's location: the argument that made the network too large (<paramref name="tooManyLayers"/>: by its layer count).</summary>
    public virtual AttributeArgumentSyntax? TooLargeArgument(LayerParseContext layer, bool tooManyLayers) => null;

    /// <summary>Checks of the network's last layer against its loss, run once every layer parsed.</summary>
    public virtual void CheckLast(LayerParseContext layer, LayerSpec spec, LossKind loss)
    {
    }

    /// <summary>Whether the layer reads a sequence through time (<c>[Lstm]</c>, <c>[Gru]</c>, <c>[Rnn]</c>) rather than row by row.</summary>
    public virtual bool IsRecurrent => false;

    /// <summary>
    /// Whether the layer may read a sequence by applying to each of its steps alone, as rows of <c>(B·T, width)</c>:
    /// true for dense layers; a norm or residual block is refused there (CR0026).
    /// </summary>
    public virtual bool AppliesPerStep => false;

    /// <summary>Whether a recurrent layer outputs every step (the layers after it still read a sequence) or only its last.</summary>
    public virtual bool ReturnsSequence(LayerSpec spec) => true;

    /// <summary>The width the layer outputs per sample (per step, in a sequence), reading <paramref name="inputWidth"/>.</summary>
    public virtual int OutputWidth(LayerSpec spec, int inputWidth) => inputWidth;

    /// <summary>What the layer adds to the network's buffers, measured before lowering (<see cref="Footprint"/>).</summary>
    /// <param name="first">Whether the layer reads the network's input.</param>
    public abstract Footprint Measure(LayerSpec spec, long width, bool first);

    // ---- lowering ----

    /// <summary>The layer's plan step: its buffers, parameters, names and locals, handed out by <paramref name="lowering"/> in order.</summary>
    public abstract PlanStep Lower(LayerSpec spec, Lowerer lowering, int width, ActivationBuffer? input);

    /// <summary>Every parameter tensor and running statistic of the step, in parameter-buffer order.</summary>
    public abstract IEnumerable<LayerTensor> Tensors(PlanStep step);

    /// <summary>Forward multiply-adds per sample, which decide whether a step splits by rows: by default one per weight element.</summary>
    public virtual long MultiplyAdds(PlanStep step)
    {
        long total = 0;
        foreach (LayerTensor tensor in Tensors(step))
        {
            if (tensor.IsMatrix)
                total += (long)tensor.Rows * tensor.Columns;
        }
        return total;
    }

    /// <summary>The gradient-flow estimate through the step (<see cref="GradientFlowEstimate"/>).</summary>
    public abstract GradientFlowEstimate.Signal Estimate(PlanStep step, GradientFlowEstimate.Walk walk, GradientFlowEstimate.Signal x);

    // ---- emitting ----

    /// <summary>
    /// For a recurrent step: its layer's name index, sequence length and first step with gradient, for the report's
    /// per-step <c>‖∂L/∂h_t‖</c>; null for other steps.
    /// </summary>
    public virtual (int NameIndex, int Steps, int FirstStep)? TimeSteps(PlanStep step) => null;

    /// <summary>The step in the description line, e.g. <c>Dense(64→128, ReLU)</c>.</summary>
    public abstract string Describe(PlanStep step);

    /// <summary>Whether an optional tensor (a dense bias) is left out, which the <c>Parameters</c> documentation mentions.</summary>
    public virtual bool OmitsOptionalTensor(PlanStep step) => false;

    /// <summary>The implementation of the layer's partial property, one line.</summary>
    public abstract string View(PlanStep step, string elementType);

    /// <summary>The constructor's initialization of the step's parameters and statistics, with its banner.</summary>
    public abstract void WriteInitialization(SourceWriter writer, PlanStep step);

    /// <summary>The forward pass through the step.</summary>
    public abstract void WriteForward(Pass pass, PlanStep step);

    /// <summary>The backward pass through the step; <paramref name="below"/> is the step that produced its input, if any.</summary>
    public abstract void WriteBackward(Pass pass, PlanStep step, PlanStep? below);

    /// <summary>The step's part of <c>FirstNonFiniteLayer</c>: its outputs (and statistics) checked in forward order.</summary>
    public abstract void WriteNonFiniteScan(SourceWriter writer, NetworkPlan plan, PlanStep step);

    /// <summary>The split step's <c>report.Record</c> calls for the step's layers, in the order its backward pass records them.</summary>
    /// <param name="root">The expression for <c>‖g‖</c> of the tensor at a parameter offset.</param>
    public abstract void WriteGradientNormRecords(SourceWriter writer, NetworkPlan plan, PlanStep step, System.Func<int, string> root);

    /// <summary>The step's rows of the summary table: layer, kind, output, parameters, predicted ‖∇W‖, init.</summary>
    public abstract void AddSummaryRows(List<string[]> rows, NetworkPlan plan, PlanStep step);
}

/// <summary>A <see cref="LayerKind"/> whose members receive its own spec and step types.</summary>
internal abstract class LayerKind<TSpec, TStep>(string attributeName, string viewType, string noun) : LayerKind(attributeName, viewType, noun)
    where TSpec : LayerSpec
    where TStep : PlanStep
{
    public sealed override void CheckLast(LayerParseContext layer, LayerSpec spec, LossKind loss) => CheckLast(layer, (TSpec)spec, loss);

    public sealed override int OutputWidth(LayerSpec spec, int inputWidth) => OutputWidth((TSpec)spec, inputWidth);

    public sealed override Footprint Measure(LayerSpec spec, long width, bool first) => Measure((TSpec)spec, width, first);

    public sealed override PlanStep Lower(LayerSpec spec, Lowerer lowering, int width, ActivationBuffer? input) => Lower((TSpec)spec, lowering, width, input);

    public sealed override IEnumerable<LayerTensor> Tensors(PlanStep step) => Tensors((TStep)step);

    public sealed override long MultiplyAdds(PlanStep step) => MultiplyAdds((TStep)step);

    public sealed override GradientFlowEstimate.Signal Estimate(PlanStep step, GradientFlowEstimate.Walk walk, GradientFlowEstimate.Signal x) => Estimate((TStep)step, walk, x);

    public sealed override string Describe(PlanStep step) => Describe((TStep)step);

    public sealed override bool OmitsOptionalTensor(PlanStep step) => OmitsOptionalTensor((TStep)step);

    public sealed override string View(PlanStep step, string elementType) => View((TStep)step, elementType);

    public sealed override void WriteInitialization(SourceWriter writer, PlanStep step) => WriteInitialization(writer, (TStep)step);

    public sealed override void WriteForward(Pass pass, PlanStep step) => WriteForward(pass, (TStep)step);

    public sealed override void WriteBackward(Pass pass, PlanStep step, PlanStep? below) => WriteBackward(pass, (TStep)step, below);

    public sealed override void WriteNonFiniteScan(SourceWriter writer, NetworkPlan plan, PlanStep step) => WriteNonFiniteScan(writer, plan, (TStep)step);

    public sealed override void WriteGradientNormRecords(SourceWriter writer, NetworkPlan plan, PlanStep step, System.Func<int, string> root) =>
        WriteGradientNormRecords(writer, plan, (TStep)step, root);

    public sealed override void AddSummaryRows(List<string[]> rows, NetworkPlan plan, PlanStep step) => AddSummaryRows(rows, plan, (TStep)step);

    protected virtual void CheckLast(LayerParseContext layer, TSpec spec, LossKind loss)
    {
    }

    protected virtual int OutputWidth(TSpec spec, int inputWidth) => inputWidth;

    protected abstract Footprint Measure(TSpec spec, long width, bool first);

    protected abstract TStep Lower(TSpec spec, Lowerer lowering, int width, ActivationBuffer? input);

    protected abstract IEnumerable<LayerTensor> Tensors(TStep step);

    protected virtual long MultiplyAdds(TStep step) => base.MultiplyAdds(step);

    protected abstract GradientFlowEstimate.Signal Estimate(TStep step, GradientFlowEstimate.Walk walk, GradientFlowEstimate.Signal x);

    protected abstract string Describe(TStep step);

    protected virtual bool OmitsOptionalTensor(TStep step) => false;

    protected abstract string View(TStep step, string elementType);

    protected abstract void WriteInitialization(SourceWriter writer, TStep step);

    protected abstract void WriteForward(Pass pass, TStep step);

    protected abstract void WriteBackward(Pass pass, TStep step, PlanStep? below);

    protected abstract void WriteNonFiniteScan(SourceWriter writer, NetworkPlan plan, TStep step);

    protected abstract void WriteGradientNormRecords(SourceWriter writer, NetworkPlan plan, TStep step, System.Func<int, string> root);

    protected abstract void AddSummaryRows(List<string[]> rows, NetworkPlan plan, TStep step);
}
