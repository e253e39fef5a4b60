using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>
/// Each diagnostic ID on a declaration that triggers it. <c>[|…|]</c> marks the exact span the diagnostic must
/// cover; the generator must report that one diagnostic and nothing else.
/// </summary>
public class DiagnosticTests
{
    private static Diagnostic AssertSingle(string markedSource, string id, DiagnosticSeverity severity = DiagnosticSeverity.Error)
    {
        int start = markedSource.IndexOf("[|", System.StringComparison.Ordinal);
        int end = markedSource.IndexOf("|]", System.StringComparison.Ordinal) - 2;
        string source = markedSource.Replace("[|", "").Replace("|]", "");
        GeneratorOutput output = GeneratorHarness.Run(source);

        Diagnostic diagnostic = Assert.Single(output.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal(TextSpan.FromBounds(start, end), diagnostic.Location.SourceSpan);
        Assert.Equal(GeneratorHarness.ModelPath, diagnostic.Location.SourceTree?.FilePath);
        Assert.Equal(severity == DiagnosticSeverity.Error ? 0 : 1, output.Files.Count);
        return diagnostic;
    }

    [Fact]
    public void CR0001_NetworkClassMustBePartial()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public class [|Model|]
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0001");
        Assert.Contains("'Model' is marked [Network] and must be declared 'partial'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0002_NetworkWithoutLayers()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class [|Empty|]
            {
                public int NotALayer { get; }
            }
            """, "CR0002");
        Assert.Contains("declares no layers", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0003_NonPositiveInputs()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network([|Inputs = 0|])]
            public partial class Model
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0003");
        Assert.Equal("Inputs must be a positive number, but is 0", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0003_MissingInputsPointsAtTheAttribute()
    {
        AssertSingle("""
            using ChainRule;
            [[|Network(Loss = Loss.MeanSquaredError)|]]
            public partial class Model
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0003");
    }

    [Fact]
    public void CR0003_NonPositiveUnits()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(8)] public partial DenseLayer<float> Hidden { get; }
                [Dense([|-3|], Activation.ReLU)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0003");
        Assert.Equal("Units of layer 'Output' must be a positive number, but is -3", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0004_UnknownActivation()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Dense(2, [|(Activation)42|])] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0004");
        Assert.StartsWith("(Activation)42 is not a defined Activation value; use one of: Identity, Sigmoid", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0004_UnknownLossPrecisionAndInit()
    {
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, [|Loss = (Loss)7|])]
            public partial class Model
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0004");
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, [|Precision = (Precision)3|])]
            public partial class Model
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0004");
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(2, [|Init = (Init)99|])] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0004");
    }

    [Fact]
    public void CR0005_LayerPropertyMustBePartialGetOnly()
    {
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(2)] public DenseLayer<float> [|Output|] { get; set; }
            }
            """, "CR0005");
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(2)] public static partial DenseLayer<float> [|Output|] { get; }
            }
            """, "CR0005");
    }

    [Fact]
    public void CR0006_LayerTypeMustMatchPrecision()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Precision = Precision.Double)]
            public partial class Model
            {
                [Dense(2)] public partial [|DenseLayer<float>|] Output { get; }
            }
            """, "CR0006");
        Assert.Equal("Layer 'Output' must have type 'DenseLayer<double>' to match its attribute and the network's precision, not 'DenseLayer<float>'",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0007_ZeroInitialization()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(2, [|Init = Init.Zeros|])] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0007");
        Assert.Contains("never become different", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0008_GenericOrStaticOrNestedInNonPartial()
    {
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class [|Model|]<T>
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0008");
        AssertSingle("""
            using ChainRule;
            public class Outer
            {
                [Network(Inputs = 4)]
                public partial class [|Model|]
                {
                    [Dense(2)] public partial DenseLayer<float> Output { get; }
                }
            }
            """, "CR0008");
    }

    [Fact]
    public void CR0009_ActivationOnLogitsIsAWarningAndStillGenerates()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
                [Dense(3, [|Activation.Sigmoid|])] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0009", DiagnosticSeverity.Warning);
        Assert.Contains("Layer 'Logits' applies Sigmoid", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0010_ResidualWidthMustMatchItsInput()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 64)]
            public partial class Model
            {
                [Dense(128, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
                [Residual(Norm.LayerNorm, Activation.Gelu, [|Width = 256|])] public partial ResidualStack<float> Body { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0010");
        Assert.Equal("Residual stack 'Body' declares width 256, but its input, 'Hidden', has width 128", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0010_NormOverTheWrongSize()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 12)]
            public partial class Model
            {
                [RMSNorm([|Features = 10|])] public partial NormLayer<float> Norm { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0010");
        Assert.Equal("RMSNorm 'Norm' declares width 10, but its input, the network input, has width 12", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0003_ResidualRepeatAndEpsilonMustBePositive()
    {
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, [|Repeat = 0|])] public partial ResidualStack<float> Body { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0003");
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [LayerNorm([|Epsilon = -1e-5|])] public partial NormLayer<float> Norm { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0003");
    }

    [Fact]
    public void CR0006_NormNeedsANormLayerView()
    {
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [LayerNorm] public partial [|DenseLayer<float>|] Norm { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0006");
    }

    [Fact]
    public void LocationsLieInTheCompilationsOwnTree()
    {
        // A location in the user's own syntax tree (not an external file location) is what lets
        // '#pragma warning disable' and .editorconfig severities apply to generator diagnostics.
        GeneratorOutput output = GeneratorHarness.Run("""
            using ChainRule;
            [Network(Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits)]
            public partial class Model
            {
                [Dense(1, Activation.Tanh)] public partial DenseLayer<float> Logit { get; }
            }
            """);
        Diagnostic diagnostic = Assert.Single(output.Diagnostics);
        Assert.Contains(diagnostic.Location.SourceTree, output.Compilation.SyntaxTrees);
    }

    [Fact]
    public void EveryDescriptorIsDocumentedAndTracked()
    {
        string root = RepositoryRoot.Path;
        string unshipped = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "generators/ChainRule.Generators/AnalyzerReleases.Unshipped.md"));
        foreach (var descriptor in Diagnostics.DiagnosticDescriptors.All)
        {
            Assert.True(System.IO.File.Exists(System.IO.Path.Combine(root, "docs/diagnostics", descriptor.Id + ".md")), $"docs/diagnostics/{descriptor.Id}.md is missing");
            Assert.Contains(descriptor.Id + " |", unshipped);
            Assert.Equal($"docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
        }
        Assert.Equal(Diagnostics.DiagnosticDescriptors.All.Length, Diagnostics.DiagnosticDescriptors.All.Select(d => d.Id).Distinct().Count());
    }
}
