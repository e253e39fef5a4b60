using System.Collections.Generic;
using System.Globalization;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Kinds;

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
    public override LayerKind LayerKind => ResidualLayerKind.Instance;

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

internal sealed partial class ResidualLayerKind
{
    protected override Footprint Measure(ResidualSpec residual, long width, bool first) => residual.Repeat * MeasureBlock(residual, width);

    private static Footprint MeasureBlock(ResidualSpec residual, long width)
    {
        long hidden = residual.Hidden > 0 ? residual.Hidden : width;
        return NormLayerKind.Measure(residual.Norm, width)
            + DenseLayerKind.Measure(width, hidden, residual.Activation)
            + DenseLayerKind.Measure(hidden, width, ActivationKind.Identity)
            // The normalized input (pre-norm) or the sum before the norm (post-norm), the block's output, and α.
            + new Footprint(residual.ReZero ? 1 : 0, 2 * width, 0, 0, 0);
    }

    protected override ResidualStep Lower(ResidualSpec residual, Lowerer lowering, int width, ActivationBuffer? input)
    {
        string stem = lowering.Locals.Allocate(residual.Name, stem => StemFamily(stem, residual.Repeat));
        int hidden = residual.Hidden > 0 ? residual.Hidden : width;
        int offset = lowering.ParameterCount;
        int statisticsOffset = residual.Norm == NormKind.BatchNorm ? lowering.StatisticsCount : -1;
        int firstName = lowering.NameCount;
        bool pre = residual.Placement == NormPlacementKind.Pre;
        var blocks = new List<ResidualBlockPlan>(residual.Repeat);
        ActivationBuffer? stream = input;
        for (int i = 0; i < residual.Repeat; i++)
        {
            string variable = BlockStem(stem, i);
            string prefix = $"{residual.Name}.{i.ToString(CultureInfo.InvariantCulture)}";
            NormPlan norm = NormLayerKind.Lower(lowering, lowering.AddName(prefix + ".norm"), residual.Norm, width, residual.Epsilon, variable);
            ActivationBuffer? normed = pre ? lowering.PerSample(LocalNames.Of(variable, Role.Normed), width) : null;
            DenseStep up = DenseLayerKind.Lower(lowering, prefix + ".up", "", LocalNames.Of(variable, Role.Up), lowering.AddName(prefix + ".up"), width, hidden,
                residual.Activation, InitKind.Default, pre ? normed : stream);
            DenseStep down = DenseLayerKind.Lower(lowering, prefix + ".down", "", LocalNames.Of(variable, Role.Down), lowering.AddName(prefix + ".down"), hidden, width,
                ActivationKind.Identity, InitKind.Default, up.Output);
            int scale = residual.ReZero ? lowering.Parameters(1) : -1;
            ActivationBuffer? sum = pre ? null : lowering.PerSample(LocalNames.Of(variable, Role.Sum), width);
            ActivationBuffer output = lowering.PerSample(i == residual.Repeat - 1 ? LocalNames.Of(stem, Role.Out) : LocalNames.Of(BlockStem(stem, i + 1), Role.In), width);
            blocks.Add(new ResidualBlockPlan(i, variable, norm, up, down, scale, stream, normed, sum, output));
            stream = output;
        }
        return new ResidualStep(lowering.StepIndex, residual.Name, residual.Modifiers, firstName, residual.Norm, residual.Activation,
            residual.Placement, residual.ReZero, width, hidden, offset, statisticsOffset, input, stream!, blocks.ToEquatableArray());
    }

    /// <summary>The stem of residual block <paramref name="block"/>: <c>body3</c>, or <c>layer1_3</c> when the stack's stem ends in a digit.</summary>
    private static string BlockStem(string stackStem, int block) =>
        stackStem + (char.IsDigit(stackStem[stackStem.Length - 1]) ? "_" : "") + block.ToString(CultureInfo.InvariantCulture);

    /// <summary>The stems a stack's locals use: the stack's, each block's and each block's up and down projections' (<c>body3_up</c>).</summary>
    private static List<string> StemFamily(string stem, int blocks)
    {
        var family = new List<string>(1 + 3 * blocks) { stem };
        for (int i = 0; i < blocks; i++)
        {
            string block = BlockStem(stem, i);
            family.Add(block);
            family.Add(LocalNames.Of(block, Role.Up));
            family.Add(LocalNames.Of(block, Role.Down));
        }
        return family;
    }

    /// <summary>Block by block: the norm's, the up and down products' and α, whose gradient the backward pass adds into.</summary>
    protected override IEnumerable<LayerTensor> Tensors(ResidualStep residual)
    {
        foreach (ResidualBlockPlan block in residual.Blocks)
        {
            string prefix = $"{residual.Name}.{block.Index.ToString(CultureInfo.InvariantCulture)}";
            foreach (LayerTensor tensor in NormLayerKind.TensorsOf(block.Norm, prefix + ".norm"))
                yield return tensor;
            foreach (LayerTensor tensor in DenseLayerKind.TensorsOf(block.Up))
                yield return tensor;
            foreach (LayerTensor tensor in DenseLayerKind.TensorsOf(block.Down))
                yield return tensor;
            if (block.ScaleOffset >= 0)
                yield return LayerTensor.Vector(prefix + ".alpha", block.ScaleOffset, 1, nameIndex: -1, accumulates: true);
        }
    }

    protected override GradientFlowEstimate.Signal Estimate(ResidualStep step, GradientFlowEstimate.Walk walk, GradientFlowEstimate.Signal x) => walk.Residual(step, x);
}
