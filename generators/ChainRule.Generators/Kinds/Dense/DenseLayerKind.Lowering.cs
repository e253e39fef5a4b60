using System.Collections.Generic;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Kinds;

/// <summary>A dense layer, <c>y = act(x Wᵀ + b)</c>, or <c>y = act(x Wᵀ)</c> without bias.</summary>
/// <param name="Variable">The snake_case stem of the layer's locals, e.g. <c>hidden</c>.</param>
/// <param name="NameIndex">Index of the layer's name in <see cref="NetworkPlan.LayerNames"/>.</param>
/// <param name="WeightOffset">Offset of <c>W</c> (shape <c>(Outputs, Inputs)</c>) in the parameter buffer.</param>
/// <param name="BiasOffset">Offset of <c>b</c> (shape <c>(Outputs)</c>); −1 for a layer without bias.</param>
/// <param name="Init">The resolved initialization scheme, never <see cref="InitKind.Default"/>.</param>
/// <param name="Stream">The random stream the weights are drawn from.</param>
/// <param name="Steps">Rows per sample: the sequence length when the layer applies to each step of a sequence, else 1.</param>
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
    ActivationBuffer Output,
    int Steps = 1)
    : PlanStep(Index, Name, Modifiers, Input, Output)
{
    public override LayerKind LayerKind => DenseLayerKind.Instance;

    public bool HasActivation => Activation != ActivationKind.Identity;

    public bool HasBias => BiasOffset >= 0;

    public int WeightCount => Inputs * Outputs;

    /// <summary>The rows of the layer's products: <c>B</c>, or <c>Steps·B</c> over a sequence's steps.</summary>
    public string Rows => Steps == 1 ? "B" : $"{Steps} * B";
}

internal sealed partial class DenseLayerKind
{
    /// <summary>ReLU's backward needs only where its output is positive, which is where its input is: its output
    /// overwrites the pre-activation, one buffer fewer to write and read back. Identity has nothing to keep.</summary>
    public static bool KeepsPreActivation(ActivationKind activation) => activation is not (ActivationKind.Identity or ActivationKind.ReLU);

    /// <summary>He for the ReLU family (their derivative is 0 on half the inputs), Xavier for symmetric saturating ones.</summary>
    public static InitKind ResolveInit(InitKind declared, ActivationKind activation) =>
        declared != InitKind.Default ? declared : activation switch
        {
            ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.Gelu or ActivationKind.Silu => InitKind.HeNormal,
            _ => InitKind.XavierNormal,
        };

    /// <summary>A dense product's footprint: <c>W</c> and <c>b</c>, the pre-activation (if kept) and the output.</summary>
    public static Footprint Measure(long inputs, long outputs, ActivationKind activation, bool hasBias = true) =>
        new(Footprint.Add(Footprint.Multiply(inputs, outputs), hasBias ? outputs : 0), KeepsPreActivation(activation) ? 2 * outputs : outputs, 0, 0, 1);

    protected override Footprint Measure(DenseSpec spec, long width, bool first) => Measure(width, spec.Units, spec.Activation, spec.HasBias);

    protected override DenseStep Lower(DenseSpec spec, Lowerer lowering, int width, ActivationBuffer? input) =>
        Lower(lowering, spec.Name, spec.Modifiers, lowering.Locals.Layer(spec.Name), lowering.AddName(spec.Name), width, spec.Units, spec.Activation, spec.Init, input, spec.HasBias);

    /// <summary>A dense product named <paramref name="name"/>: a declared layer, or a residual block's up or down projection.</summary>
    public static DenseStep Lower(Lowerer lowering, string name, string modifiers, string variable, int nameIndex, int inputs, int outputs,
        ActivationKind activation, InitKind init, ActivationBuffer? input, bool hasBias = true)
    {
        bool keepsPreActivation = KeepsPreActivation(activation);
        int steps = lowering.Steps;
        int perSample = checked(outputs * steps);
        ActivationBuffer pre = lowering.PerSample(LocalNames.Of(variable, keepsPreActivation ? Role.PreActivation : Role.Out), perSample);
        ActivationBuffer output = keepsPreActivation ? lowering.PerSample(LocalNames.Of(variable, Role.Out), perSample) : pre;
        int weights = lowering.Parameters(checked(inputs * outputs));
        int bias = hasBias ? lowering.Parameters(outputs) : -1;
        return new DenseStep(lowering.StepIndex, name, modifiers, variable, nameIndex, inputs, outputs, weights, bias,
            activation, ResolveInit(init, activation), lowering.NextStream(), input, pre, output, steps);
    }

    protected override IEnumerable<LayerTensor> Tensors(DenseStep step) => TensorsOf(step);

    /// <summary>One product per row: per step of a sequence, <c>Steps</c> of them per sample.</summary>
    protected override long MultiplyAdds(DenseStep step) => step.Steps * base.MultiplyAdds(step);

    /// <summary><c>W</c> (its rows are the output units) and, unless the layer has none, <c>b</c>; the backward kernels overwrite both gradients.</summary>
    public static IEnumerable<LayerTensor> TensorsOf(DenseStep dense)
    {
        yield return LayerTensor.Matrix(dense.Name + ".weight", dense.WeightOffset, dense.Outputs, dense.Inputs, dense.NameIndex);
        // Without bias the state_dict has no '.bias' entry, as nn.Linear(bias=False)'s has none.
        if (dense.HasBias)
            yield return LayerTensor.Vector(dense.Name + ".bias", dense.BiasOffset, dense.Outputs, dense.NameIndex, accumulates: false);
    }

    protected override GradientFlowEstimate.Signal Estimate(DenseStep step, GradientFlowEstimate.Walk walk, GradientFlowEstimate.Signal x) => walk.Dense(step, x);
}
