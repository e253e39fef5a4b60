using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>
/// Legal names the generator once could not handle: it threw (and every model in the compilation lost its code), wrote
/// code that did not compile, or wrote code that compiled into a different model. Each renamed model must compute,
/// bit for bit, what the same model under plain names computes.
/// </summary>
public class NamingTests
{
    private const string Dense = "DenseLayer";
    private const string Norm = "NormLayer";
    private const string Stack = "ResidualStack";

    private static GeneratorOutput RunClean(string source)
    {
        GeneratorOutput output = GeneratorHarness.Run(source);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationDiagnostics);
        return output;
    }

    [Fact]
    public void KeywordEscapedNamespaceGenerates()
    {
        GeneratorOutput output = RunClean("""
            using ChainRule;
            namespace Models.@namespace;
            [Network(Inputs = 3)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """);
        Assert.Equal("Models.namespace.Net.g.cs", Assert.Single(output.Files).HintName);
    }

    [Fact]
    public void NetworksWhoseNamesDifferOnlyInCaseGetHintNamesThatDifferIgnoringCase()
    {
        GeneratorOutput output = RunClean("""
            using ChainRule;
            namespace Models;
            [Network(Inputs = 3)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            [Network(Inputs = 3)]
            public partial class NET
            {
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """);
        // The ordinal-first name keeps the plain hint name; the other is numbered.
        Assert.Equal(["Models.NET.g.cs", "Models.Net.2.g.cs"], output.Files.Select(f => f.HintName));
        Assert.Contains("partial class Net\n", output.Files[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void HintNamesOfNestedAndNonAsciiNetworksAreValidAndDistinct()
    {
        GeneratorOutput output = RunClean("""
            using ChainRule;
            namespace Models.Ünïcode;
            public static partial class @class
            {
                [Network(Inputs = 3)]
                public partial class Δ
                {
                    [Dense(2)] public partial DenseLayer<float> Logits { get; }
                }
                [Network(Inputs = 3)]
                public partial class δ
                {
                    [Dense(2)] public partial DenseLayer<float> Logits { get; }
                }
            }
            """);
        Assert.Equal(["Models.Ünïcode.class.Δ.g.cs", "Models.Ünïcode.class.δ.2.g.cs"], output.Files.Select(f => f.HintName));
    }

    /// <summary>
    /// C# itself rejects the second attribute (CS0579: [Network] allows one); the generator must not throw on it, nor
    /// write the model twice: it generates once, from the first declaration.
    /// </summary>
    [Fact]
    public void NetworkOnBothPartsOfAPartialClassGeneratesOnce()
    {
        GeneratorOutput output = GeneratorHarness.Run("""
            using ChainRule;
            namespace Models;
            [Network(Inputs = 3)]
            public partial class Net
            {
                [Dense(4, Activation.Tanh)] public partial DenseLayer<float> Hidden { get; }
            }
            [Network(Inputs = 3)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """);
        Assert.Empty(output.Diagnostics);
        Assert.Equal("Models.Net.g.cs", Assert.Single(output.Files).HintName);
        Assert.Equal(["CS0579"], output.CompilationDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void NetworkOnANonPartialTwinGeneratesNothingTwice()
    {
        GeneratorOutput output = GeneratorHarness.Run("""
            using ChainRule;
            namespace Models;
            [Network(Inputs = 3)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            [Network(Inputs = 3)]
            public class Net
            {
            }
            """);
        Assert.True(output.Files.Count <= 1);
        Assert.All(output.Diagnostics, d => Assert.StartsWith("CR", d.Id, StringComparison.Ordinal));
    }

    /// <summary>
    /// File-local types of the same name in two files are two types: the generator must not throw on them, and refuses
    /// each with CR0008 (a generated part in another file could not extend a file-local class).
    /// </summary>
    [Fact]
    public void FileLocalNetworksOfTheSameNameInTwoFilesAreRefusedWithoutThrowing()
    {
        const string model = """
            using ChainRule;
            namespace Models;
            [Network(Inputs = 3)]
            file partial class Net
            {
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """;
        var compilation = GeneratorHarness.Compile(model, "A.cs");
        compilation = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(model, (CSharpParseOptions)compilation.SyntaxTrees[0].Options, "B.cs"));
        var result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult();
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        // The generated part of a file class would be another class, so each is refused (CR0008) and nothing is generated.
        Assert.Empty(result.Results.SelectMany(r => r.GeneratedSources));
        Assert.Equal(["CR0008", "CR0008"], result.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void KeywordEscapedClassAndLayerNamesKeepTheirAt() => AssertRenamingChangesNothing(
        Model("SoftmaxCrossEntropy", 4, 3,
            ("[Dense(5, global::ChainRule.Activation.Tanh)]", Dense),
            ("[global::ChainRule.LayerNorm]", Norm),
            ("[global::ChainRule.Residual(global::ChainRule.Norm.RMSNorm, global::ChainRule.Activation.Gelu, Repeat = 2)]", Stack),
            ("[Dense(3)]", Dense)),
        new ModelNaming("Models.@namespace", "@static", "@event", ["@class", "@in", "@params", "@out"]));

    /// <summary>Once CS0128: the stack's block 0 declared <c>body0_up_weight</c>, and so did the dense layer <c>Body0Up</c>.</summary>
    [Fact]
    public void StackBesideADenseLayerNamedLikeItsBlock() => AssertRenamingChangesNothing(
        Model("SoftmaxCrossEntropy", 4, 3,
            ("[global::ChainRule.Residual(global::ChainRule.Norm.LayerNorm, global::ChainRule.Activation.Gelu, Repeat = 2)]", Stack),
            ("[Dense(4, global::ChainRule.Activation.Tanh)]", Dense),
            ("[Dense(3)]", Dense)),
        Renamed("Body", "Body0Up", "Logits"));

    /// <summary>Once CS1503: <c>dlogits_out</c> was both the gradient of <c>Logits</c> and the output of <c>Dlogits</c>.</summary>
    [Theory]
    [InlineData("Logits", "Dlogits")]
    [InlineData("Dlogits", "Logits")]
    public void LayerBesideOneNamedLikeItsGradient(string first, string second) => AssertRenamingChangesNothing(
        Model("MeanSquaredError", 3, 2,
            ("[Dense(5, global::ChainRule.Activation.Silu)]", Dense),
            ("[Dense(2)]", Dense)),
        Renamed(first, second));

    /// <summary>
    /// The worst case: this compiled, but <c>body0_down_out</c> named a buffer of both stacks, so the second stack read and
    /// wrote the first one's: Predict returned zeros and the loss never moved. Renamed First/Second, the model trained.
    /// </summary>
    [Theory]
    [InlineData("Pre")]
    [InlineData("Post")]
    public void StackFollowedByAStackNamedLikeItsBlock(string placement) => AssertRenamingChangesNothing(
        Model("SoftmaxCrossEntropy", 4, 3,
            ($"[global::ChainRule.Residual(global::ChainRule.Norm.LayerNorm, global::ChainRule.Activation.ReLU, Repeat = 2, Placement = global::ChainRule.NormPlacement.{placement})]", Stack),
            ($"[global::ChainRule.Residual(global::ChainRule.Norm.BatchNorm, global::ChainRule.Activation.Tanh, Placement = global::ChainRule.NormPlacement.{placement})]", Stack),
            ("[Dense(3)]", Dense)),
        Renamed("Body", "Body0Down", "Logits"));

    [Fact]
    public void LayerNamesThatMimicGeneratedLocals() => AssertRenamingChangesNothing(
        Model("BinaryCrossEntropyWithLogits", 3, 2,
            ("[Dense(4, global::ChainRule.Activation.ReLU)]", Dense),
            ("[global::ChainRule.BatchNorm]", Norm),
            ("[global::ChainRule.Residual(global::ChainRule.Norm.LayerNorm, global::ChainRule.Activation.Gelu, Repeat = 3, ReZero = true)]", Stack),
            ("[Dense(4, global::ChainRule.Activation.Sigmoid)]", Dense),
            ("[Dense(2)]", Dense)),
        Renamed("Body_", "body__0", "Body", "Body0_up_out", "acts"));

    /// <summary>
    /// Once CS0120: a member named <c>_</c> made the generated <c>out _</c> refer to it instead of discarding; a member
    /// (or the type) named <c>nameof</c> turns every <c>nameof(x)</c> into a call of it.
    /// </summary>
    [Fact]
    public void LayersNamedLikeDiscardsAndContextualKeywords() => AssertRenamingChangesNothing(
        Model("SoftmaxCrossEntropy", 3, 3,
            ("[Dense(4, global::ChainRule.Activation.Tanh)]", Dense),
            ("[global::ChainRule.RMSNorm]", Norm),
            ("[global::ChainRule.Residual(global::ChainRule.Norm.LayerNorm, global::ChainRule.Activation.Silu)]", Stack),
            ("[Dense(4, global::ChainRule.Activation.Gelu)]", Dense),
            ("[Dense(3)]", Dense)),
        new ModelNaming("Renamed", null, "Model", ["_", "@nameof", "@var", "@field", "@value"]));

    /// <summary>With documentation diagnostics on (as GenerateDocumentationFile does), the escaped names in crefs resolve too.</summary>
    [Fact]
    public void EscapedNamesInDocumentationCommentsResolve()
    {
        var options = new CSharpParseOptions(LanguageVersion.Preview, DocumentationMode.Diagnose);
        var compilation = GeneratorHarness.Compile("").RemoveAllSyntaxTrees().AddSyntaxTrees(CSharpSyntaxTree.ParseText("""
            using ChainRule;
            namespace Models.@namespace;
            /// <summary>A model.</summary>
            [Network(Inputs = 3)]
            public partial class @event
            {
                /// <summary>A layer.</summary>
                [Dense(2)] public partial DenseLayer<float> @class { get; }
            }
            """, options, GeneratorHarness.ModelPath));
        CSharpGeneratorDriver.Create([new NetworkGenerator().AsSourceGenerator()], parseOptions: options)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Empty(generated.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void NetworkNamedNameof() => AssertRenamingChangesNothing(
        Model("MeanSquaredError", 3, 2, ("[Dense(4, global::ChainRule.Activation.Tanh)]", Dense), ("[Dense(2)]", Dense)),
        new ModelNaming("Renamed", null, "@nameof", ["@global", "@async"]));

    private static ModelDeclaration Model(string loss, int inputs, int outputs, params (string Attribute, string View)[] layers) =>
        ModelDeclaration.Create(new Random(inputs * 31 + layers.Length), "Float", loss, inputs, outputs,
            layers.Select(l => new LayerDeclaration(l.Attribute.Replace("[Dense(", "[global::ChainRule.Dense(", StringComparison.Ordinal), l.View)).ToList());

    private static ModelNaming Renamed(params string[] layers) => new("Renamed", null, "Model", layers);

    private static void AssertRenamingChangesNothing(ModelDeclaration model, ModelNaming renamed)
    {
        var plain = new ModelNaming("Plain", null, "Model", Enumerable.Range(0, model.Layers.Count).Select(i => $"Layer{i}").ToList());
        var probes = TraceHarness.CompileProbes(
            [("plain", TraceHarness.Render(model, plain, "plain")), ("renamed", TraceHarness.Render(model, renamed, "renamed"))],
            "Naming");
        TraceHarness.AssertIdentical(probes["plain"].Trace(), probes["renamed"].Trace(), string.Join(", ", renamed.LayerNames));
    }
}
