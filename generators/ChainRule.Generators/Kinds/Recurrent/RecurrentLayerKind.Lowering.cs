using System.Collections.Generic;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Kinds;

/// <summary>
/// A recurrent layer over <c>T</c> steps of <c>F</c> features: its parameters in PyTorch's order
/// (<c>weight_ih_l0 (G·H, F)</c>, <c>weight_hh_l0 (G·H, H)</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0 (G·H)</c>, from
/// <see cref="WeightIHOffset"/>), its output and the cache its kernel keeps for the backward pass.
/// </summary>
/// <param name="Variable">The snake_case stem of the layer's locals.</param>
/// <param name="NameIndex">Index of the layer's name in <see cref="NetworkPlan.LayerNames"/>.</param>
/// <param name="Inputs">Features per step <c>F</c>.</param>
/// <param name="Stream">The random stream its parameters are drawn from.</param>
/// <param name="Output">Every step's <c>h_t</c>, <c>(B, T·H)</c>, or the last one's, <c>(B, H)</c>.</param>
/// <param name="Cache">The kernel's cache, <see cref="RecurrentLayerKind.CachePerSample"/> per sample.</param>
/// <param name="NormsOffset">Where the layer's <c>T</c> values of <c>‖∂L/∂h_t‖</c> start among the model's per-step norms.</param>
internal sealed record RecurrentStep(
    int Index,
    string Name,
    string Modifiers,
    string Variable,
    int NameIndex,
    RecurrentCell Cell,
    int Inputs,
    int Hidden,
    int Steps,
    ActivationKind Activation,
    bool ReturnSequences,
    int Truncate,
    InitKind RecurrentInit,
    double ForgetBias,
    int Stream,
    int WeightIHOffset,
    int NormsOffset,
    ActivationBuffer? Input,
    ActivationBuffer Output,
    ActivationBuffer Cache)
    : PlanStep(Index, Name, Modifiers, Input, Output)
{
    public override LayerKind LayerKind => RecurrentLayerKind.For(Cell);

    public int Gates => RecurrentLayerKind.Gates(Cell);

    /// <summary><c>G·H</c>: rows of both weights, length of both biases.</summary>
    public int Width => Gates * Hidden;

    public int WeightHHOffset => WeightIHOffset + Width * Inputs;

    public int BiasIHOffset => WeightHHOffset + Width * Hidden;

    public int BiasHHOffset => BiasIHOffset + Width;

    /// <summary>Both weights, contiguous: <c>G·H·(F + H)</c>.</summary>
    public int WeightCount => Width * (Inputs + Hidden);

    public int ParameterCount => WeightCount + 2 * Width;
}

internal sealed partial class RecurrentLayerKind
{
    /// <summary>
    /// The kernel's cache per sequence, its <c>CacheLength(B, T, F, H)</c> over <c>B</c>: LSTM <c>T·(F + 6H) + 6H</c>, GRU
    /// <c>T·(F + 5H) + 4H</c>, RNN <c>T·(F + 2H) + 2H</c> (the generator cannot call the runtime; a test holds the
    /// two equal, and the kernel refuses any other length).
    /// </summary>
    public static long CachePerSample(RecurrentCell cell, long steps, long inputs, long hidden) => cell switch
    {
        RecurrentCell.Lstm => Footprint.Add(Footprint.Multiply(steps, Footprint.Add(inputs, Footprint.Multiply(6, hidden))), Footprint.Multiply(6, hidden)),
        RecurrentCell.Gru => Footprint.Add(Footprint.Multiply(steps, Footprint.Add(inputs, Footprint.Multiply(5, hidden))), Footprint.Multiply(4, hidden)),
        _ => Footprint.Add(Footprint.Multiply(steps, Footprint.Add(inputs, Footprint.Multiply(2, hidden))), Footprint.Multiply(2, hidden)),
    };

    /// <summary>The four tensors; the output, <c>(T·H)</c> or <c>(H)</c>, and the cache per sample.</summary>
    protected override Footprint Measure(RecurrentSpec spec, long width, bool first)
    {
        long gates = Gates(spec.Cell), hidden = spec.Hidden;
        long parameters = Footprint.Multiply(Footprint.Multiply(gates, hidden), Footprint.Add(Footprint.Add(width, hidden), 2));
        long output = spec.ReturnSequences ? Footprint.Multiply(spec.Steps, hidden) : hidden;
        return new Footprint(parameters, Footprint.Add(output, CachePerSample(spec.Cell, spec.Steps, width, hidden)), 0, 0, 1);
    }

    protected override RecurrentStep Lower(RecurrentSpec spec, Lowerer lowering, int width, ActivationBuffer? input)
    {
        string variable = lowering.Locals.Layer(spec.Name);
        int nameIndex = lowering.AddName(spec.Name);
        int gates = Gates(spec.Cell);
        int offset = lowering.Parameters(checked(gates * spec.Hidden * (width + spec.Hidden + 2)));
        ActivationBuffer output = lowering.PerSample(LocalNames.Of(variable, Role.Out), spec.ReturnSequences ? checked(spec.Steps * spec.Hidden) : spec.Hidden);
        ActivationBuffer cache = lowering.PerSample(LocalNames.Of(variable, Role.Cache), checked((int)CachePerSample(spec.Cell, spec.Steps, width, spec.Hidden)));
        int norms = lowering.HiddenGradientNorms(spec.Steps);
        return new RecurrentStep(lowering.StepIndex, spec.Name, spec.Modifiers, variable, nameIndex, spec.Cell, width, spec.Hidden, spec.Steps,
            spec.Activation, spec.ReturnSequences, spec.Truncate, spec.RecurrentInit, spec.ForgetBias, lowering.NextStream(), offset, norms,
            input, output, cache);
    }

    /// <summary>
    /// PyTorch's state_dict names and order; a matrix's rows are its <c>G·H</c> gate units. The backward kernels add
    /// into all four gradients (<c>+=</c>, as PyTorch's), so the trainer clears them first.
    /// </summary>
    protected override IEnumerable<LayerTensor> Tensors(RecurrentStep step)
    {
        yield return new LayerTensor(TensorStore.Parameter, step.Name + ".weight_ih_l0", step.WeightIHOffset, step.Width, step.Inputs, step.NameIndex, Accumulates: true);
        yield return new LayerTensor(TensorStore.Parameter, step.Name + ".weight_hh_l0", step.WeightHHOffset, step.Width, step.Hidden, step.NameIndex, Accumulates: true);
        yield return LayerTensor.Vector(step.Name + ".bias_ih_l0", step.BiasIHOffset, step.Width, step.NameIndex, accumulates: true);
        yield return LayerTensor.Vector(step.Name + ".bias_hh_l0", step.BiasHHOffset, step.Width, step.NameIndex, accumulates: true);
    }

    /// <summary>
    /// The first step that receives gradient, as the kernels define truncation: 0 with every-step output, else
    /// <c>T − K</c> for <c>0 &lt; K &lt; T</c>.
    /// </summary>
    public static int FirstStepWithGradient(RecurrentStep step) =>
        step.ReturnSequences || step.Truncate == 0 || step.Truncate >= step.Steps ? 0 : step.Steps - step.Truncate;

    public override (int NameIndex, int Steps, int FirstStep)? TimeSteps(PlanStep step) =>
        step is RecurrentStep recurrent ? (recurrent.NameIndex, recurrent.Steps, FirstStepWithGradient(recurrent)) : null;

    /// <summary>Both products at every step: <c>T·G·H·(F + H)</c>.</summary>
    protected override long MultiplyAdds(RecurrentStep step) => (long)step.Steps * step.WeightCount;

    protected override GradientFlowEstimate.Signal Estimate(RecurrentStep step, GradientFlowEstimate.Walk walk, GradientFlowEstimate.Signal x) => walk.Recurrent(step, x);
}
