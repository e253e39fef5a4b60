using System.Collections.Generic;
using System.Linq;
using System.Text;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    /// <summary>
    /// The model's description line and a torchinfo-like table of its layers, as constants: both are known at
    /// compile time, so reading them at run time costs nothing and works the same under Native AOT.
    /// </summary>
    private static void WriteSummary(SourceWriter writer, NetworkPlan plan)
    {
        writer.WriteLine("/// <summary>The network in one line: each layer with its sizes, the loss and the parameter count.</summary>");
        writer.WriteLine($"public const string Description = {Literal(DescriptionText(plan))};");
        writer.WriteLine();
        writer.WriteLine("/// <summary>A table of the layers in the spirit of torchinfo: layer, kind, output width, parameters, initialization.</summary>");
        writer.WriteLine($"public const string Summary = {Literal(SummaryText(plan))};");
    }

    internal static string DescriptionText(NetworkPlan plan)
    {
        string layers = string.Join(" → ", plan.Steps.Select(step => $"{step.Name}: {Describe(step)}"));
        return $"{plan.TypeName}: {layers} → {plan.Loss}; parameters: {Count(plan.ParameterCount)} {plan.ElementType}";
    }

    internal static string SummaryText(NetworkPlan plan)
    {
        var rows = new List<string[]> { new[] { "layer", "kind", "output", "parameters", "init" } };
        rows.Add(new[] { "(input)", "", Count(plan.Inputs), "", "" });
        foreach (PlanStep step in plan.Steps)
        {
            switch (step)
            {
                case DenseStep dense:
                    rows.Add(new[] { dense.Name, Describe(dense), Count(dense.Outputs), Count(DenseParameters(dense)), InitName(dense.Init) });
                    break;
                case NormStep norm:
                    rows.Add(new[] { norm.Name, Describe(norm), Count(norm.Norm.Features), Count(NormParameters(norm.Norm)), NormInit(norm.Norm) });
                    break;
                case ResidualStep residual:
                    string kind = $"{(residual.Placement == NormPlacementKind.Pre ? "PreNorm" : "PostNorm")}[{residual.Norm} → Dense({residual.Width}→{residual.Hidden}{(residual.HasActivation ? ", " + residual.Activation : "")}) → Dense({residual.Hidden}→{residual.Width})]{(residual.ReZero ? " · α" : "")} + x";
                    foreach (ResidualBlockPlan block in residual.Blocks)
                    {
                        int parameters = NormParameters(block.Norm) + DenseParameters(block.Up) + DenseParameters(block.Down) + (block.ScaleOffset >= 0 ? 1 : 0);
                        rows.Add(new[] { $"{residual.Name}.{block.Index}", kind, Count(residual.Width), Count(parameters), $"up {InitName(block.Up.Init)}; down {InitName(block.Down.Init)}{(block.ScaleOffset >= 0 ? "; α = 0" : "")}" });
                    }
                    break;
            }
        }

        int columns = rows[0].Length;
        var widths = new int[columns];
        foreach (string[] row in rows)
        {
            for (int c = 0; c < columns; c++)
                widths[c] = System.Math.Max(widths[c], row[c].Length);
        }
        var text = new StringBuilder();
        text.Append($"{plan.TypeName}: {plan.Loss}, {plan.ElementType}\n");
        AppendRow(text, rows[0], widths);
        AppendRow(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (string[] row in rows.Skip(1))
            AppendRow(text, row, widths);
        string fixedPart = plan.FixedActivations > 0 ? $" + {Count(plan.FixedActivations)}" : "";
        text.Append($"parameters: {Count(plan.ParameterCount)}; workspace: {Count(plan.ActivationsPerSample)} activations per sample{fixedPart}");
        return text.ToString();
    }

    private static int DenseParameters(DenseStep dense) => dense.WeightCount + dense.Outputs;

    private static int NormParameters(NormPlan norm) => norm.HasBeta ? 2 * norm.Features : norm.Features;

    private static string NormInit(NormPlan norm) => norm.HasBeta ? "γ = 1, β = 0" : "γ = 1";

    /// <summary>Text columns left-aligned, numbers (output, parameters) right-aligned, as torchinfo prints them.</summary>
    private static void AppendRow(StringBuilder text, string[] row, int[] widths)
    {
        var line = new StringBuilder();
        for (int c = 0; c < row.Length; c++)
        {
            if (c > 0)
                line.Append("  ");
            line.Append(c is 2 or 3 ? row[c].PadLeft(widths[c]) : row[c].PadRight(widths[c]));
        }
        text.Append(line.ToString().TrimEnd()).Append('\n');
    }

    /// <summary>A C# string literal for <paramref name="value"/>.</summary>
    private static string Literal(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char ch in value)
        {
            text.Append(ch switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                _ => ch.ToString(),
            });
        }
        return text.Append('"').ToString();
    }
}
