using System.Collections.Generic;
using ChainRule.Generators.Lowering;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    /// <summary>
    /// Adaptive clipping works unit by unit, so it needs each tensor's shape: a weight's rows are its output units;
    /// a bias, γ, β or α is one unit (as in the NFNets code).
    /// </summary>
    private static void WriteAdaptiveClipping(SourceWriter writer, NetworkPlan plan, List<LayerTensor> tensors)
    {
        string t = plan.ElementType;
        writer.WriteLine("/// <summary>Adaptive gradient clipping (Brock et al. 2021) over every parameter tensor: rows of a weight are units, vectors are one unit each.</summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private void ClipAdaptive({t} lambda, {t} epsilon)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            writer.WriteLine($"{Span}<{t}> gradients = _gradients;");
            foreach (LayerTensor tensor in tensors)
            {
                if (tensor.Store != TensorStore.Parameter)
                    continue;
                string slice = $"{tensor.Offset}, {tensor.Length}";
                writer.WriteLine(tensor.IsMatrix
                    ? $"{Training}.GradientClipping.Adaptive(gradients.Slice({slice}), parameters.Slice({slice}), {tensor.Rows}, {tensor.Columns}, lambda, epsilon); // {plan.LayerNames[tensor.NameIndex]}"
                    : $"{Training}.GradientClipping.Adaptive(gradients.Slice({slice}), parameters.Slice({slice}), 1, {tensor.Length}, lambda, epsilon);");
            }
        }
    }
}
