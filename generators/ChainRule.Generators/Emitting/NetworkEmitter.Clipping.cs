using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    /// <summary>
    /// Adaptive clipping works unit by unit, so it needs each tensor's shape: a weight's rows are its output units;
    /// a bias, γ, β or α is one unit (as in the NFNets code).
    /// </summary>
    private static void WriteAdaptiveClipping(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        writer.WriteLine("/// <summary>Adaptive gradient clipping (Brock et al. 2021) over every parameter tensor: rows of a weight are units, vectors are one unit each.</summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private void ClipAdaptive({t} lambda, {t} epsilon)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            writer.WriteLine($"{Span}<{t}> gradients = _gradients;");
            foreach (PlanStep step in plan.Steps)
            {
                switch (step)
                {
                    case DenseStep dense:
                        WriteDenseClip(writer, dense);
                        break;
                    case NormStep norm:
                        WriteNormClip(writer, norm.Norm);
                        break;
                    case ResidualStep residual:
                        foreach (ResidualBlockPlan block in residual.Blocks)
                        {
                            WriteNormClip(writer, block.Norm);
                            WriteDenseClip(writer, block.Up);
                            WriteDenseClip(writer, block.Down);
                            if (block.ScaleOffset >= 0)
                                WriteVectorClip(writer, block.ScaleOffset, 1);
                        }
                        break;
                }
            }
        }
    }

    private static void WriteDenseClip(SourceWriter writer, DenseStep dense)
    {
        writer.WriteLine($"{Training}.GradientClipping.Adaptive(gradients.Slice({dense.WeightOffset}, {dense.WeightCount}), parameters.Slice({dense.WeightOffset}, {dense.WeightCount}), {dense.Outputs}, {dense.Inputs}, lambda, epsilon); // {dense.Name}");
        if (dense.HasBias)
            WriteVectorClip(writer, dense.BiasOffset, dense.Outputs);
    }

    private static void WriteNormClip(SourceWriter writer, NormPlan norm)
    {
        WriteVectorClip(writer, norm.GammaOffset, norm.Features);
        if (norm.HasBeta)
            WriteVectorClip(writer, norm.GammaOffset + norm.Features, norm.Features);
    }

    private static void WriteVectorClip(SourceWriter writer, int offset, int length) =>
        writer.WriteLine($"{Training}.GradientClipping.Adaptive(gradients.Slice({offset}, {length}), parameters.Slice({offset}, {length}), 1, {length}, lambda, epsilon);");
}
