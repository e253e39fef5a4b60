using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ChainRule.Generators.Lowering;
using static ChainRule.Generators.Emitting.Code;

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
        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Each parameterized layer's ‖∂L/∂W‖ at initialization as the compiler predicts it, relative to the last layer's, in the");
        writer.WriteLine("/// order of the training report's layers (0 for a ReZero branch, whose gradient waits for α): a mean-field estimate");
        writer.WriteLine("/// for standardized inputs, usually within a decade of the first step's measured norms (docs/diagnostics/CR0021.md).");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(GeneratedCode);
        string values = string.Join(", ", plan.PredictedDecades.Select(d => RelativeNorm(d).ToString("R", CultureInfo.InvariantCulture)));
        writer.WriteLine($"public static global::System.ReadOnlySpan<double> PredictedGradientNorms => [{values}];");
    }

    internal static string DescriptionText(NetworkPlan plan)
    {
        string layers = string.Join(" → ", plan.Steps.Select(step => $"{step.Name}: {step.LayerKind.Describe(step)}"));
        return $"{plan.TypeName}: {layers} → {plan.Loss}; parameters: {Count(plan.ParameterCount)} {plan.ElementType}";
    }

    internal static string SummaryText(NetworkPlan plan)
    {
        var rows = new List<string[]> { new[] { "layer", "kind", "output", "parameters", "‖∇W‖ predicted", "init" } };
        rows.Add(new[] { "(input)", "", Count(plan.Inputs), "", "", "" });
        foreach (PlanStep step in plan.Steps)
            step.LayerKind.AddSummaryRows(rows, plan, step);

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
        text.Append($"parameters: {Count(plan.ParameterCount)}; workspace: {Count(plan.ActivationsPerSample)} activations per sample{fixedPart}\n");
        text.Append("‖∇W‖ predicted: at initialization, relative to the last layer (mean-field estimate for standardized inputs)");
        return text.ToString();
    }

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
