using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Emitting;

// Residual stacks. Pre-norm block i computes x[i+1] = x[i] + α·F(Norm(x[i])); the add that ends block i and the
// norm that starts block i+1 run as one fused kernel (AddForward), so each block's banner opens with it. Post-norm
// block i computes x[i+1] = Norm(x[i] + α·F(x[i])) with the add and its own norm fused. Backward, the residual
// stream's gradient is updated in place: the skip path passes it through unchanged and the norm's backward adds
// its share (AddBackward), so the add itself costs nothing.
internal static partial class NetworkEmitter
{
    private static void WriteResidualForward(Pass pass, ResidualStep stack)
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
                    WriteNormForward(pass, block.Norm, block.Variable, block.Normed!, block.Input);
                else
                    WriteAddNormForward(pass, stack.Blocks[block.Index - 1], block.Norm, block.Variable, sum: block.Input!, output: block.Normed!);
                WriteDenseForward(pass, block.Up);
                WriteDenseForward(pass, block.Down);
                if (block.Index == stack.Blocks.Count - 1)
                    writer.WriteLine($"{Kernels}.Residual.Add({pass.Use(block.Output)}, {pass.Use(block.Input)}, {pass.Use(block.Down.Output)}, {Scale(pass, block)});");
            }
            else
            {
                WriteDenseForward(pass, block.Up);
                WriteDenseForward(pass, block.Down);
                WriteAddNormForward(pass, block, block.Norm, block.Variable, sum: block.Sum!, output: block.Output);
            }
        }
    }

    /// <summary><c>sum = x + α·branch</c> of <paramref name="adding"/>, then <paramref name="norm"/> of it, as one kernel.</summary>
    private static void WriteAddNormForward(Pass pass, ResidualBlockPlan adding, NormPlan norm, string variable, ActivationBuffer sum, ActivationBuffer output)
    {
        var (gamma, beta) = NormParameters(pass, norm, variable, gradient: false);
        string add = $"{pass.Use(sum)}, {pass.Use(output)}";
        string addends = $"{pass.Use(adding.Input)}, {pass.Use(adding.Down.Output)}, {Scale(pass, adding)}";
        string sizes = $"B, {norm.Features}, {norm.Epsilon}";
        if (norm.Kind != NormKind.BatchNorm)
        {
            pass.Writer.WriteLine($"{Kernels}.{NormKernel(norm.Kind)}.AddForward({add}, {Cache(pass, norm)}, {addends}, {Affine(gamma, beta)}, {sizes});");
            return;
        }
        var (runningMean, runningVariance) = RunningStatistics(pass, norm, variable);
        string cache = Cache(pass, norm);
        pass.Writer.WriteLine("if (training)");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.AddForwardTraining({add}, {cache}, {runningMean}, {runningVariance}, {addends}, {Affine(gamma, beta)}, {sizes}, {Momentum(pass)});");
        pass.Writer.WriteLine("else");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.AddForwardInference({add}, {addends}, {runningMean}, {runningVariance}, {Affine(gamma, beta)}, {sizes});");
    }

    private static void WriteResidualBackward(Pass pass, ResidualStep stack)
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
            if (pre)
            {
                string dbranch = WriteScaleBackward(pass, block, stream);
                DenseStep? upRelu = ReluBelow(block.Down, block.Up);
                WriteDenseBackward(pass, block.Down, accumulateInputGradient: false, outputGradient: dbranch, reluBelow: upRelu);
                WriteDenseBackward(pass, block.Up, accumulateInputGradient: false, reluApplied: upRelu is not null);
                string gamma = Gamma(pass, block.Norm, block.Variable);
                var (dgamma, dbeta) = NormParameters(pass, block.Norm, block.Variable, gradient: true);
                writer.WriteLine($"{Kernels}.{NormKernel(block.Norm.Kind)}.AddBackward({stream}, {Affine(dgamma, dbeta)}, {pass.Use(block.Normed, gradient: true)}, {pass.Use(block.Input)}, {Cache(pass, block.Norm)}, {gamma}, B, {block.Norm.Features});");
                WriteNormGradientNorms(pass, block.Norm, block.Variable, gamma, dgamma, dbeta);
            }
            else
            {
                string gamma = Gamma(pass, block.Norm, block.Variable);
                var (dgamma, dbeta) = NormParameters(pass, block.Norm, block.Variable, gradient: true);
                string dsum = pass.Use(block.Sum, gradient: true);
                writer.WriteLine($"{Kernels}.{NormKernel(block.Norm.Kind)}.Backward({dsum}, {Affine(dgamma, dbeta)}, {stream}, {pass.Use(block.Sum)}, {Cache(pass, block.Norm)}, {gamma}, B, {block.Norm.Features});");
                WriteNormGradientNorms(pass, block.Norm, block.Variable, gamma, dgamma, dbeta);
                string dbranch = WriteScaleBackward(pass, block, dsum);
                DenseStep? upRelu = ReluBelow(block.Down, block.Up);
                WriteDenseBackward(pass, block.Down, accumulateInputGradient: false, outputGradient: dbranch, reluBelow: upRelu);
                WriteDenseBackward(pass, block.Up, accumulateInputGradient: true, inputGradient: dsum, reluApplied: upRelu is not null);
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
}
