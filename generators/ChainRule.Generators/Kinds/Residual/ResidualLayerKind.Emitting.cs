using System.Collections.Generic;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Kinds;

// Pre-norm block i computes x[i+1] = x[i] + α·F(Norm(x[i])); the add that ends block i and the norm that starts
// block i+1 run as one fused kernel (AddForward), so each block's banner opens with it. Post-norm block i computes
// x[i+1] = Norm(x[i] + α·F(x[i])) with the add and its own norm fused. Backward, the residual stream's gradient is
// updated in place: the skip path passes it through unchanged and the norm's backward adds its share (AddBackward),
// so the add itself costs nothing.
internal sealed partial class ResidualLayerKind
{
    protected override string Describe(ResidualStep residual) =>
        $"{residual.Blocks.Count} × {Block(residual)} + x";

    /// <summary>One block as the description and the summary show it: <c>PreNorm[LayerNorm → Dense(64→64, GELU) → Dense(64→64)] · α</c>.</summary>
    private static string Block(ResidualStep residual) =>
        $"{(residual.Placement == NormPlacementKind.Pre ? "PreNorm" : "PostNorm")}[{residual.Norm} → Dense({residual.Width}→{residual.Hidden}{(residual.HasActivation ? ", " + residual.Activation : "")}) → Dense({residual.Hidden}→{residual.Width})]{(residual.ReZero ? " · α" : "")}";

    protected override string View(ResidualStep residual, string t) =>
        $"{residual.Modifiers} global::ChainRule.ResidualStack<{t}> {Identifier(residual.Name)} => new(LayerNames, firstName: {residual.FirstNameIndex}, _parameters, _gradients, _statistics, offset: {residual.Offset}, statisticsOffset: {residual.StatisticsOffset}, count: {residual.Blocks.Count}, width: {residual.Width}, hidden: {residual.Hidden}, global::ChainRule.Norm.{residual.Norm}, reZero: {(residual.ReZero ? "true" : "false")});";

    protected override void WriteInitialization(SourceWriter writer, ResidualStep residual)
    {
        foreach (ResidualBlockPlan block in residual.Blocks)
        {
            writer.WriteLine();
            writer.WriteLine($"// ---- layer {residual.Index}: {residual.Name}.{block.Index}, {block.Norm.Kind} γ = 1{(block.Norm.HasBeta ? ", β = 0" : "")}; up {DenseLayerKind.InitName(block.Up.Init)}; down {DenseLayerKind.InitName(block.Down.Init)}{(residual.ReZero ? "; α = 0" : "")} ----");
            NormLayerKind.WriteInitialization(writer, block.Norm);
            DenseLayerKind.WriteInitialization(writer, block.Up, banner: null);
            DenseLayerKind.WriteInitialization(writer, block.Down, banner: null);
        }
    }

    protected override void WriteForward(Pass pass, ResidualStep stack)
    {
        SourceWriter writer = pass.Writer;
        bool pre = stack.Placement == NormPlacementKind.Pre;
        writer.WriteLine($"// ---- layer {stack.Index}: {stack.Name}, {Describe(stack)} ----");
        foreach (ResidualBlockPlan block in stack.Blocks)
        {
            if (block.Index > 0)
                writer.WriteLine();
            writer.WriteLine(pre && block.Index > 0
                ? $"// ---- {stack.Name}.{block.Index}: {stack.Name}.{block.Index - 1}'s residual add fused with this block's {stack.Norm} ----"
                : $"// ---- {stack.Name}.{block.Index} ----");
            if (pre)
            {
                if (block.Index == 0)
                    NormLayerKind.WriteNormForward(pass, block.Norm, block.Variable, block.Normed!, block.Input);
                else
                    WriteAddNormForward(pass, stack.Blocks[block.Index - 1], block.Norm, block.Variable, sum: block.Input!, output: block.Normed!);
                DenseLayerKind.WriteProductForward(pass, block.Up);
                DenseLayerKind.WriteProductForward(pass, block.Down);
                if (block.Index == stack.Blocks.Count - 1)
                    writer.WriteLine($"{Kernels}.Residual.Add({pass.Use(block.Output)}, {pass.Use(block.Input)}, {pass.Use(block.Down.Output)}, {Scale(pass, block)});");
            }
            else
            {
                DenseLayerKind.WriteProductForward(pass, block.Up);
                DenseLayerKind.WriteProductForward(pass, block.Down);
                WriteAddNormForward(pass, block, block.Norm, block.Variable, sum: block.Sum!, output: block.Output);
            }
        }
    }

    /// <summary><c>sum = x + α·branch</c> of <paramref name="adding"/>, then <paramref name="norm"/> of it, as one kernel.</summary>
    private static void WriteAddNormForward(Pass pass, ResidualBlockPlan adding, NormPlan norm, string variable, ActivationBuffer sum, ActivationBuffer output)
    {
        var (gamma, beta) = NormLayerKind.Parameters(pass, norm, variable, gradient: false);
        string add = $"{pass.Use(sum)}, {pass.Use(output)}";
        string addends = $"{pass.Use(adding.Input)}, {pass.Use(adding.Down.Output)}, {Scale(pass, adding)}";
        string sizes = $"B, {norm.Features}, {norm.Epsilon}";
        if (norm.Kind != NormKind.BatchNorm)
        {
            pass.Writer.WriteLine($"{Kernels}.{NormLayerKind.Kernel(norm.Kind)}.AddForward({add}, {NormLayerKind.Cache(pass, norm)}, {addends}, {NormLayerKind.Affine(gamma, beta)}, {sizes});");
            return;
        }
        var (runningMean, runningVariance) = NormLayerKind.RunningStatistics(pass, norm, variable);
        string cache = NormLayerKind.Cache(pass, norm);
        pass.Writer.WriteLine("if (training)");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.AddForwardTraining({add}, {cache}, {runningMean}, {runningVariance}, {addends}, {NormLayerKind.Affine(gamma, beta)}, {sizes}, {NormLayerKind.Momentum(pass)});");
        pass.Writer.WriteLine("else");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.AddForwardInference({add}, {addends}, {runningMean}, {runningVariance}, {NormLayerKind.Affine(gamma, beta)}, {sizes});");
    }

    protected override void WriteBackward(Pass pass, ResidualStep stack, PlanStep? below)
    {
        SourceWriter writer = pass.Writer;
        bool pre = stack.Placement == NormPlacementKind.Pre;
        writer.WriteLine($"// ---- layer {stack.Index}: {stack.Name}, {Describe(stack)} ----");
        string stream = pass.Use(stack.Output, gradient: true);
        writer.WriteLine($"// {stream} carries ∂loss/∂x down the residual stream, updated in place block by block.");
        for (int i = stack.Blocks.Count - 1; i >= 0; i--)
        {
            ResidualBlockPlan block = stack.Blocks[i];
            writer.WriteLine();
            writer.WriteLine(pre && block.Index > 0
                ? $"// ---- {stack.Name}.{block.Index}: this block's {stack.Norm} backward adds into the stream, the add of {stack.Name}.{block.Index - 1} passes it on ----"
                : $"// ---- {stack.Name}.{block.Index} ----");
            string gamma, dgamma;
            string? dbeta;
            if (pre)
            {
                string dbranch = WriteScaleBackward(pass, block, stream);
                DenseStep? upRelu = DenseLayerKind.ReluBelow(block.Down, block.Up);
                DenseLayerKind.WriteProductBackward(pass, block.Down, accumulateInputGradient: false, outputGradient: dbranch, reluBelow: upRelu);
                DenseLayerKind.WriteProductBackward(pass, block.Up, accumulateInputGradient: false, reluApplied: upRelu is not null);
                gamma = NormLayerKind.Gamma(pass, block.Norm, block.Variable);
                (dgamma, dbeta) = NormLayerKind.Parameters(pass, block.Norm, block.Variable, gradient: true);
                writer.WriteLine($"{Kernels}.{NormLayerKind.Kernel(block.Norm.Kind)}.AddBackward({stream}, {NormLayerKind.Affine(dgamma, dbeta)}, {pass.Use(block.Normed, gradient: true)}, {pass.Use(block.Input)}, {NormLayerKind.Cache(pass, block.Norm)}, {gamma}, B, {block.Norm.Features});");
                NormLayerKind.WriteGradientNorms(pass, block.Norm, block.Variable, gamma, dgamma, dbeta);
            }
            else
            {
                gamma = NormLayerKind.Gamma(pass, block.Norm, block.Variable);
                (dgamma, dbeta) = NormLayerKind.Parameters(pass, block.Norm, block.Variable, gradient: true);
                string dsum = pass.Use(block.Sum, gradient: true);
                writer.WriteLine($"{Kernels}.{NormLayerKind.Kernel(block.Norm.Kind)}.Backward({dsum}, {NormLayerKind.Affine(dgamma, dbeta)}, {stream}, {pass.Use(block.Sum)}, {NormLayerKind.Cache(pass, block.Norm)}, {gamma}, B, {block.Norm.Features});");
                NormLayerKind.WriteGradientNorms(pass, block.Norm, block.Variable, gamma, dgamma, dbeta);
                string dbranch = WriteScaleBackward(pass, block, dsum);
                DenseStep? upRelu = DenseLayerKind.ReluBelow(block.Down, block.Up);
                DenseLayerKind.WriteProductBackward(pass, block.Down, accumulateInputGradient: false, outputGradient: dbranch, reluBelow: upRelu);
                DenseLayerKind.WriteProductBackward(pass, block.Up, accumulateInputGradient: true, inputGradient: dsum, reluApplied: upRelu is not null);
                stream = dsum;
            }
        }
        if (stack.Input is null)
        {
            writer.WriteLine("// The network input needs no gradient.");
            return;
        }
        writer.WriteLine();
        writer.WriteLine($"{stream}.CopyTo({pass.Use(stack.Input, gradient: true)});");
    }

    /// <summary>With ReZero, <c>∂branch = α·∂stream</c> and <c>∂α += Σ branch ⊙ ∂stream</c>; without, the branch's gradient is the stream's.</summary>
    private static string WriteScaleBackward(Pass pass, ResidualBlockPlan block, string stream)
    {
        if (block.ScaleOffset < 0)
            return stream;
        string dbranch = pass.Use(block.Down.Output, gradient: true);
        string dscale = pass.Parameter(LocalNames.Of(block.Variable, Role.Scale), block.ScaleOffset, 1, "(1)", gradient: true);
        pass.Writer.WriteLine($"{Kernels}.Residual.ScaleBackward({dbranch}, {dscale}, {stream}, {pass.Use(block.Down.Output)}, {Scale(pass, block)});");
        pass.Writer.WriteLine($"squares += (double){dscale}[0] * {dscale}[0];");
        return dbranch;
    }

    /// <summary>The branch scale α as an argument: the parameter with ReZero, else 1.</summary>
    private static string Scale(Pass pass, ResidualBlockPlan block) =>
        block.ScaleOffset < 0 ? pass.One : pass.Scalar(LocalNames.Of(block.Variable, Role.Scale), block.ScaleOffset, "α, the ReZero branch scale");

    protected override void WriteNonFiniteScan(SourceWriter writer, NetworkPlan plan, ResidualStep residual)
    {
        foreach (ResidualBlockPlan block in residual.Blocks)
        {
            if (block.Normed is { } normed)
            {
                NetworkEmitter.WriteFiniteCheck(writer, plan, block.Norm.NameIndex, normed);
                NormLayerKind.WriteStatisticsCheck(writer, plan, block.Norm);
            }
            NetworkEmitter.WriteFiniteCheck(writer, plan, block.Up.NameIndex, block.Up.Output);
            NetworkEmitter.WriteFiniteCheck(writer, plan, block.Down.NameIndex, block.Down.Output);
            NetworkEmitter.WriteFiniteCheck(writer, plan, block.Normed is null ? block.Norm.NameIndex : block.Down.NameIndex, block.Output);
            if (block.Normed is null)
                NormLayerKind.WriteStatisticsCheck(writer, plan, block.Norm);
        }
    }

    protected override void WriteGradientNormRecords(SourceWriter writer, NetworkPlan plan, ResidualStep residual, System.Func<int, string> root)
    {
        for (int b = residual.Blocks.Count - 1; b >= 0; b--)
        {
            ResidualBlockPlan block = residual.Blocks[b];
            if (residual.Placement == NormPlacementKind.Pre)
            {
                DenseLayerKind.WriteGradientNormRecord(writer, plan, block.Down, root);
                DenseLayerKind.WriteGradientNormRecord(writer, plan, block.Up, root);
                NormLayerKind.WriteGradientNormRecord(writer, plan, block.Norm, root);
            }
            else
            {
                NormLayerKind.WriteGradientNormRecord(writer, plan, block.Norm, root);
                DenseLayerKind.WriteGradientNormRecord(writer, plan, block.Down, root);
                DenseLayerKind.WriteGradientNormRecord(writer, plan, block.Up, root);
            }
        }
    }

    protected override void AddSummaryRows(List<string[]> rows, NetworkPlan plan, ResidualStep residual)
    {
        EquatableArray<double> decades = plan.PredictedDecades;
        string kind = $"{Block(residual)} + x";
        foreach (ResidualBlockPlan block in residual.Blocks)
        {
            int parameters = NormLayerKind.ParameterCount(block.Norm) + DenseLayerKind.ParameterCount(block.Up) + DenseLayerKind.ParameterCount(block.Down) + (block.ScaleOffset >= 0 ? 1 : 0);
            string predicted = $"norm {Predicted(decades, block.Norm.NameIndex)}, up {Predicted(decades, block.Up.NameIndex)}, down {Predicted(decades, block.Down.NameIndex)}";
            rows.Add(new[] { $"{residual.Name}.{block.Index}", kind, Count(residual.Width), Count(parameters), predicted, $"up {DenseLayerKind.InitName(block.Up.Init)}; down {DenseLayerKind.InitName(block.Down.Init)}{(block.ScaleOffset >= 0 ? "; α = 0" : "")}" });
        }
    }
}
