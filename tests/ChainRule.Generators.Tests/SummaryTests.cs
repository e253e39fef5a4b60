using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;
using static ChainRule.Generators.Tests.Verifier; // Verify.Xunit: using static VerifyXunit.Verifier;

namespace ChainRule.Generators.Tests;

/// <summary>The generated <c>Summary</c> table and <c>Description</c> line, read as the compiled constants a program sees.</summary>
public class SummaryTests
{
    private static string Constant(Compilation compilation, string type, string name) =>
        (string)compilation.GetTypeByMetadataName(type)!.GetMembers(name).OfType<IFieldSymbol>().Single().ConstantValue!;

    /// <summary>Both constants of <paramref name="type"/>, after checking that the table's parameter column adds up to <c>ParameterCount</c>.</summary>
    private static string SummaryOf(string source, string type)
    {
        GeneratorOutput output = GeneratorHarness.Run(source);
        // PostNormBatchNormReZero is built to cover every layer kind, not to train: CR0021 rightly says its
        // InputNorm's γ only reaches the loss through the next BatchNorm's ε.
        Assert.Empty(output.Diagnostics.Where(d => !StabilityLint.Is(d)));
        Assert.Empty(output.CompilationDiagnostics);
        string summary = Constant(output.Compilation, type, "Summary");
        string description = Constant(output.Compilation, type, "Description");

        int parameterCount = (int)output.Compilation.GetTypeByMetadataName(type)!.GetMembers("ParameterCount").OfType<IFieldSymbol>().Single().ConstantValue!;
        // The dashes under the header mark each column's extent; the parameters column is the fourth.
        string[] lines = summary.Split('\n');
        int start = 0;
        for (int column = 0; column < 3; column++)
            start = lines[2].IndexOf(' ', start) + 2;
        int end = lines[2].IndexOf(' ', start);
        int sum = lines.Skip(3).TakeWhile(line => !line.StartsWith("parameters:", System.StringComparison.Ordinal))
            .Select(line => line.Length > start ? line[start..System.Math.Min(end, line.Length)].Trim() : "")
            .Where(cell => cell.Length > 0)
            .Sum(cell => int.Parse(cell, NumberStyles.AllowThousands, CultureInfo.InvariantCulture));
        Assert.Equal(parameterCount, sum);
        return $"Description: {description}\n\n{summary}\n";
    }

    [Fact]
    public Task DigitClassifier() => Verify(SummaryOf(ModelSources.DigitClassifier, "Samples.DigitClassifier"), "txt");

    // Three blocks where SnapshotTests.PreLayerNormResidual20Blocks has 20: the table has a row per block.
    [Fact]
    public Task PreLayerNormResidual() => Verify(SummaryOf("""
        using ChainRule;

        namespace Deep;

        [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class DeepResidual
        {
            [Dense(64)]                                                           public partial DenseLayer<float> Embed { get; }
            [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 3, Hidden = 128)] public partial ResidualStack<float> Body { get; }
            [LayerNorm]                                                           public partial NormLayer<float> FinalNorm { get; }
            [Dense(10)]                                                           public partial DenseLayer<float> Logits { get; }
        }
        """, "Deep.DeepResidual"), "txt");

    [Fact]
    public Task PostNormBatchNormReZero() => Verify(SummaryOf(ModelSources.PostNormBatchNormReZero, "Deep.PostNorm"), "txt");

    [Fact]
    public Task BiasFree() => Verify(SummaryOf(ModelSources.BiasFree, "Deep.BiasFree"), "txt");
}
