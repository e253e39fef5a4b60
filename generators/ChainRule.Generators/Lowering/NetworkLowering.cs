using System.Collections.Generic;
using System.Text;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>Resolves a <see cref="NetworkSpec"/> into a <see cref="NetworkPlan"/>: widths, offsets, defaults.</summary>
internal static class NetworkLowering
{
    public static NetworkPlan Lower(NetworkSpec spec)
    {
        var steps = new List<DenseStep>(spec.Layers.Count);
        int parameterOffset = 0;
        int activationOffset = 0;
        int width = spec.Inputs;
        ActivationBuffer? input = null;
        var usedNames = new HashSet<string> { "inputs", "acts", "dacts", "parameters", "gradients" };

        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            string variable = UniqueName(ToSnakeCase(layer.Name), usedNames);
            ActivationBuffer preActivation = Allocate(ref activationOffset, layer.Activation == ActivationKind.Identity ? $"{variable}_out" : $"{variable}_pre", layer.Units);
            ActivationBuffer output = layer.Activation == ActivationKind.Identity
                ? preActivation
                : Allocate(ref activationOffset, $"{variable}_out", layer.Units);
            int weightCount = width * layer.Units;
            steps.Add(new DenseStep(
                i, layer.Name, layer.Modifiers, variable, width, layer.Units,
                WeightOffset: parameterOffset, BiasOffset: parameterOffset + weightCount,
                layer.Activation, ResolveInit(layer.Init, layer.Activation),
                input, preActivation, output));
            parameterOffset += weightCount + layer.Units;
            width = layer.Units;
            input = output;
        }

        string hintName = (spec.Namespace.Length > 0 ? spec.Namespace + "." : "")
            + string.Concat(ContainingTypeNames(spec)) + spec.TypeName + ".g.cs";
        return new NetworkPlan(
            hintName, spec.Namespace, spec.ContainingTypes, spec.TypeName,
            spec.Precision == PrecisionKind.Double ? "double" : "float",
            spec.Inputs, width, parameterOffset, activationOffset, spec.Loss,
            input!, steps.ToEquatableArray());
    }

    /// <summary>He for the ReLU family (their derivative is 0 on half the inputs), Xavier for symmetric saturating ones.</summary>
    public static InitKind ResolveInit(InitKind declared, ActivationKind activation) =>
        declared != InitKind.Default ? declared : activation switch
        {
            ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.Gelu or ActivationKind.Silu => InitKind.HeNormal,
            _ => InitKind.XavierNormal,
        };

    private static ActivationBuffer Allocate(ref int offset, string name, int width)
    {
        var buffer = new ActivationBuffer(name, offset, width);
        offset += width;
        return buffer;
    }

    private static IEnumerable<string> ContainingTypeNames(NetworkSpec spec)
    {
        foreach (string declaration in spec.ContainingTypes)
            yield return declaration.Substring(declaration.LastIndexOf(' ') + 1) + ".";
    }

    private static string UniqueName(string name, HashSet<string> used)
    {
        string candidate = name;
        for (int suffix = 2; !used.Add(candidate); suffix++)
            candidate = name + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return candidate;
    }

    /// <summary><c>HiddenLayer2</c> → <c>hidden_layer2</c>, <c>MLPHead</c> → <c>mlp_head</c>.</summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool wordStart = i > 0 && name[i - 1] != '_'
                    && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (wordStart)
                    builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
