using System.Collections.Generic;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    private static void WriteForward(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        writer.WriteLine("/// <summary>Runs every layer on a batch of <paramref name=\"B\"/> rows, storing each layer's values in <paramref name=\"acts\"/>.</summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private void Forward({ReadOnlySpan}<{t}> inputs, {Span}<{t}> acts, int B)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            foreach (DenseStep layer in plan.Layers)
            {
                writer.WriteLine();
                WriteBanner(writer, layer);
                string v = layer.Variable;
                writer.WriteLine($"var {v}_weight = parameters.Slice({layer.WeightOffset}, {layer.WeightCount}); // ({layer.Outputs}, {layer.Inputs})");
                writer.WriteLine($"var {v}_bias = parameters.Slice({layer.BiasOffset}, {layer.Outputs}); // ({layer.Outputs})");
                WriteSlice(writer, "", layer.PreActivation, "acts");
                if (layer.HasActivation)
                    WriteSlice(writer, "", layer.Output, "acts");
                writer.WriteLine($"{Kernels}.Dense.Forward({layer.PreActivation.Name}, {InputName(layer)}, {v}_weight, {v}_bias, B, {layer.Inputs}, {layer.Outputs});");
                if (layer.HasActivation)
                    writer.WriteLine($"{Kernels}.{ActivationKernel(layer.Activation)}.Forward({layer.Output.Name}, {layer.PreActivation.Name});");
            }
        }
    }

    /// <summary>
    /// Writes the backward pass: the forward layers in exact reverse order. On entry the workspace gradient of the
    /// network's output holds ∂loss/∂output (written by the loss); parameter gradients accumulate with +=.
    /// </summary>
    private static void WriteBackward(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Back-propagates the output gradient in <paramref name=\"dacts\"/> through every layer in reverse, adding each");
        writer.WriteLine("/// layer's parameter gradients into <see cref=\"Gradients\"/>.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private void Backward({ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{t}> acts, {Span}<{t}> dacts, int B)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            writer.WriteLine($"{Span}<{t}> gradients = _gradients;");
            var declared = new HashSet<string>();
            for (int i = plan.Layers.Count - 1; i >= 0; i--)
            {
                DenseStep layer = plan.Layers[i];
                string v = layer.Variable;
                writer.WriteLine();
                WriteBanner(writer, layer);
                DeclareSlice(writer, declared, "d", layer.Output, "dacts");
                if (layer.HasActivation)
                {
                    DeclareSlice(writer, declared, "d", layer.PreActivation, "dacts");
                    DeclareSlice(writer, declared, "", layer.PreActivation, "acts");
                    DeclareSlice(writer, declared, "", layer.Output, "acts");
                }
                if (layer.Input is { } input)
                {
                    DeclareSlice(writer, declared, "", input, "acts");
                    DeclareSlice(writer, declared, "d", input, "dacts");
                    writer.WriteLine($"var {v}_weight = parameters.Slice({layer.WeightOffset}, {layer.WeightCount}); // ({layer.Outputs}, {layer.Inputs})");
                }
                writer.WriteLine($"var d{v}_weight = gradients.Slice({layer.WeightOffset}, {layer.WeightCount}); // ({layer.Outputs}, {layer.Inputs})");
                writer.WriteLine($"var d{v}_bias = gradients.Slice({layer.BiasOffset}, {layer.Outputs}); // ({layer.Outputs})");

                if (layer.HasActivation)
                    writer.WriteLine($"{Kernels}.{ActivationKernel(layer.Activation)}.Backward(d{layer.PreActivation.Name}, d{layer.Output.Name}, {layer.PreActivation.Name}, {layer.Output.Name});");
                writer.WriteLine($"{Kernels}.Dense.BackwardParameters(d{v}_weight, d{v}_bias, d{layer.PreActivation.Name}, {InputName(layer)}, B, {layer.Inputs}, {layer.Outputs});");
                if (layer.Input is { } previous)
                    writer.WriteLine($"{Kernels}.Dense.BackwardInput(d{previous.Name}, d{layer.PreActivation.Name}, {v}_weight, B, {layer.Inputs}, {layer.Outputs});");
                else
                    writer.WriteLine("// The network input needs no gradient.");
            }
        }
    }

    private static void WriteBanner(SourceWriter writer, DenseStep layer) =>
        writer.WriteLine(layer.HasActivation
            ? $"// ---- layer {layer.Index}: {layer.Name}, Dense {layer.Inputs} → {layer.Outputs}, {layer.Activation} ----"
            : $"// ---- layer {layer.Index}: {layer.Name}, Dense {layer.Inputs} → {layer.Outputs} ----");

    private static void DeclareSlice(SourceWriter writer, HashSet<string> declared, string prefix, ActivationBuffer buffer, string workspace)
    {
        if (declared.Add(prefix + buffer.Name))
            WriteSlice(writer, prefix, buffer, workspace);
    }

    private static void WriteSlice(SourceWriter writer, string prefix, ActivationBuffer buffer, string workspace)
    {
        string start = buffer.OffsetPerSample == 0 ? "0" : $"{buffer.OffsetPerSample} * B";
        writer.WriteLine($"var {prefix}{buffer.Name} = {workspace}.Slice({start}, {buffer.Width} * B); // (B, {buffer.Width})");
    }

    private static string InputName(DenseStep layer) => layer.Input?.Name ?? "inputs";

    private static string ActivationKernel(ActivationKind activation) => activation switch
    {
        ActivationKind.Sigmoid => "Sigmoid",
        ActivationKind.Tanh => "Tanh",
        ActivationKind.ReLU => "Relu",
        ActivationKind.LeakyReLU => "LeakyRelu",
        ActivationKind.Gelu => "Gelu",
        ActivationKind.Silu => "Silu",
        _ => throw new System.ArgumentOutOfRangeException(nameof(activation), activation, "Identity has no kernel."),
    };
}
