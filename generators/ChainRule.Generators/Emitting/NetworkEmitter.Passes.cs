using ChainRule.Generators.Lowering;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    private static void WriteForward(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        string training = plan.HasBatchNorm ? ", bool training" : "";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs every layer on a batch of <paramref name=\"B\"/> rows, storing each layer's values in <paramref name=\"acts\"/>;");
        writer.WriteLine("/// ReLU layers count their dead units into <paramref name=\"report\"/> when there is one, and dense layers store their");
        writer.WriteLine("/// <c>‖W‖</c> into <paramref name=\"weightNorms\"/> unless it is empty.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private void Forward({ReadOnlySpan}<{t}> inputs, {Span}<{t}> acts, int B{training}, {Report}? report, {Span}<double> weightNorms)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            if (plan.HasBatchNorm)
                writer.WriteLine($"{Span}<{t}> statistics = _statistics;");
            var pass = new Pass(writer, plan);
            foreach (PlanStep step in plan.Steps)
            {
                writer.WriteLine();
                step.LayerKind.WriteForward(pass, step);
            }
        }
    }

    /// <summary>
    /// Writes the backward pass: the forward steps in exact reverse order. On entry the workspace gradient of the
    /// network's output holds ∂loss/∂output (written by the loss); parameter gradients accumulate with +=.
    /// </summary>
    private static void WriteBackward(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Back-propagates the output gradient in <paramref name=\"dacts\"/> through every layer in reverse, adding each");
        writer.WriteLine("/// layer's parameter gradients into <paramref name=\"gradients\"/> (laid out like <see cref=\"Gradients\"/>) and its gradient");
        writer.WriteLine("/// norms into <paramref name=\"report\"/>.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <returns>The sum of squares of every parameter gradient, from the kernels that wrote them.</returns>");
        if (plan.HasRecurrent)
            writer.WriteLine("/// <remarks><paramref name=\"acts\"/> is writable: a recurrent layer's backward pass consumes the cache its forward pass kept there.</remarks>");
        writer.WriteLine(GeneratedCode);
        string acts = plan.HasRecurrent ? Span : ReadOnlySpan;
        using (writer.Open($"private double Backward({ReadOnlySpan}<{t}> inputs, {acts}<{t}> acts, {Span}<{t}> dacts, int B, {Span}<{t}> gradients, {Report}? report)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            writer.WriteLine("double squares = 0;");
            var pass = new Pass(writer, plan);
            for (int i = plan.Steps.Count - 1; i >= 0; i--)
            {
                writer.WriteLine();
                PlanStep step = plan.Steps[i];
                step.LayerKind.WriteBackward(pass, step, below: i > 0 ? plan.Steps[i - 1] : null);
            }
            writer.WriteLine();
            writer.WriteLine("return squares;");
        }
    }

    /// <summary>
    /// Where the first NaN or ∞ of a training forward pass appeared: layer outputs (and BatchNorm's new running
    /// statistics) checked in forward order, run only once the loss or the statistics are not finite.
    /// </summary>
    private static void WriteFirstNonFiniteLayer(SourceWriter writer, NetworkPlan plan)
    {
        writer.WriteLine(plan.HasBatchNorm
            ? "/// <summary>The index in <see cref=\"LayerNames\"/> of the first layer whose output or running statistics hold NaN or ∞, or −1.</summary>"
            : "/// <summary>The index in <see cref=\"LayerNames\"/> of the first layer whose output holds NaN or ∞, or −1.</summary>");
        writer.WriteLine(GeneratedCode);
        string statistics = plan.HasBatchNorm ? $", {ReadOnlySpan}<{plan.ElementType}> statistics" : "";
        using (writer.Open($"private static int FirstNonFiniteLayer({ReadOnlySpan}<{plan.ElementType}> acts{statistics}, int B)"))
        {
            foreach (PlanStep step in plan.Steps)
                step.LayerKind.WriteNonFiniteScan(writer, plan, step);
            writer.WriteLine("return -1;");
        }
    }
}
