using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using ChainRule.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using static ChainRule.Generators.Tests.DiagnosticTests;

namespace ChainRule.Generators.Tests;

/// <summary>
/// CR0020–CR0023, the warnings computed from the lowered plan and the gradient-flow estimate: each with its exact span
/// and message, and none on networks that train well.
/// </summary>
public class StabilityLintTests
{
    private static string Message(Diagnostic diagnostic) => diagnostic.GetMessage(CultureInfo.InvariantCulture);

    /// <summary>
    /// What a build reports: the generator's diagnostics, then <see cref="StabilityAnalyzer"/>'s (CR0020, CR0022, CR0023) on the
    /// compilation that includes the generated code, as the compiler runs analyzers after generators.
    /// </summary>
    internal static async Task<ImmutableArray<Diagnostic>> Lints(string source)
    {
        GeneratorOutput output = GeneratorHarness.Run(source);
        ImmutableArray<Diagnostic> analyzed = await output.Compilation.WithAnalyzers([new StabilityAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        return output.Diagnostics.AddRange(analyzed);
    }

    /// <summary>The one lint of <paramref name="markedSource"/>, a warning at its <c>[|…|]</c> span in the user's file.</summary>
    private static async Task<Diagnostic> AssertSingleLint(string markedSource, string id)
    {
        int start = markedSource.IndexOf("[|", System.StringComparison.Ordinal);
        int end = markedSource.IndexOf("|]", System.StringComparison.Ordinal) - 2;
        Diagnostic diagnostic = Assert.Single(await Lints(markedSource.Replace("[|", "").Replace("|]", "")));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(TextSpan.FromBounds(start, end), diagnostic.Location.SourceSpan);
        Assert.Equal(GeneratorHarness.ModelPath, diagnostic.Location.SourceTree?.FilePath);
        return diagnostic;
    }

    [Fact]
    public async Task TheFixableLintsComeFromTheAnalyzerAlone()
    {
        // Reported by both, each would show twice in a build; reported by the generator, no code fix would be offered.
        const string source = """
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(32, Activation.ReLU, Init = Init.XavierNormal)] public partial DenseLayer<float> Hidden { get; }
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 8, Placement = NormPlacement.Post)] public partial ResidualStack<float> Body { get; }
                [Dense(32)] public partial DenseLayer<float> Projection { get; }
                [BatchNorm] public partial NormLayer<float> Batch { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """;
        Assert.Empty(GeneratorHarness.Run(source).Diagnostics);
        Assert.Equal(["CR0020", "CR0022", "CR0023"], (await Lints(source)).Select(d => d.Id));
    }

    [Fact]
    public async Task CR0020_HeOnTanhCompoundsOverItsRun()
    {
        var diagnostics = await Lints("""
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(32, Activation.Tanh, Init = Init.HeNormal)] public partial DenseLayer<float> L1 { get; }
                [Dense(32, Activation.Tanh, Init = Init.HeNormal)] public partial DenseLayer<float> L2 { get; }
                [Dense(32, Activation.Tanh, Init = Init.HeNormal)] public partial DenseLayer<float> L3 { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """);
        Assert.Equal(["CR0020", "CR0020", "CR0020"], diagnostics.Select(d => d.Id));
        Assert.Equal("Layer 'L2' initializes its Tanh weights with HeNormal: a variance 2× the 1/fan_in (LeCun) that keeps a signal's variance through Tanh, which compounds to ≈ 10¹ over the 3 consecutive layers declared this way ('L1' to 'L3'); use Init.XavierNormal or leave Init at its default",
            Message(diagnostics[1]));
    }

    [Fact]
    public async Task CR0020_XavierOnReluPointsAtTheInit()
    {
        var diagnostic = await AssertSingleLint("""
            using ChainRule;
            [Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(64, Activation.ReLU, [|Init = Init.XavierUniform|])] public partial DenseLayer<float> Hidden { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0020");
        Assert.Equal("Layer 'Hidden' initializes its ReLU weights with XavierUniform: a variance 0.5× the 2/fan_in (He) that keeps a signal's variance through ReLU, for this layer alone; use Init.HeNormal or leave Init at its default",
            Message(diagnostic));
    }

    [Fact]
    public void CR0021_TwentySigmoidLayersVanish()
    {
        var source = new StringBuilder("using ChainRule;\n[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]\npublic partial class Model\n{\n");
        source.Append("    [|[Dense(256, Activation.Sigmoid)]|] public partial DenseLayer<float> L01 { get; }\n".Replace("[|[", "[[|", System.StringComparison.Ordinal).Replace(")]|]", ")|]]", System.StringComparison.Ordinal));
        for (int i = 2; i <= 20; i++)
            source.Append(CultureInfo.InvariantCulture, $"    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> L{i:00} {{ get; }}\n");
        source.Append("    [Dense(10)] public partial DenseLayer<float> Logits { get; }\n}\n");
        var diagnostic = AssertSingle(source.ToString(), "CR0021", DiagnosticSeverity.Warning);
        Assert.Equal("The gradient is predicted to vanish at initialization: ‖∂L/∂W‖ ≈ 10⁻¹² at 'L01' relative to 'Logits', a max/min ratio of ≈ 10¹² over the layers, beyond the 100× the training report flags",
            Message(diagnostic));
    }

    [Fact]
    public void CR0021_BatchNormAfterReluExplodesTowardsTheInput()
    {
        // Each BatchNorm divides a ReLU unit by its own batch standard deviation: the gradient grows by about
        // π/(π−1) per layer towards the input at initialization (Yang et al. 2019), ≈ 10³ in norm over 30 layers.
        var source = new StringBuilder("using ChainRule;\n[Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]\npublic partial class Model\n{\n");
        for (int i = 0; i < 30; i++)
        {
            string attribute = i == 0 ? "[[|Dense(64, Activation.ReLU)|]]" : "[Dense(64, Activation.ReLU)]";
            source.Append(CultureInfo.InvariantCulture, $"    {attribute} public partial DenseLayer<float> Hidden{i} {{ get; }}\n");
            source.Append(CultureInfo.InvariantCulture, $"    [BatchNorm] public partial NormLayer<float> Norm{i} {{ get; }}\n");
        }
        source.Append("    [Dense(10)] public partial DenseLayer<float> Logits { get; }\n}\n");
        var diagnostic = AssertSingle(source.ToString(), "CR0021", DiagnosticSeverity.Warning);
        Assert.Equal("The gradient is predicted to explode at initialization: ‖∂L/∂W‖ ≈ 10³ at 'Hidden0' relative to 'Logits', a max/min ratio of ≈ 10³ over the layers, beyond the 100× the training report flags",
            Message(diagnostic));
    }

    [Fact]
    public async Task CR0022_DeepPostNormStackWithoutReZero()
    {
        var diagnostic = await AssertSingleLint("""
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 12, [|Placement = NormPlacement.Post|])] public partial ResidualStack<float> Body { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0022");
        Assert.Equal("Residual stack 'Body' normalizes after the residual add in 12 blocks without ReZero; post-norm stacks deeper than 6 blocks train unstably or diverge early on; use Placement = NormPlacement.Pre or ReZero = true, and a learning-rate warmup",
            Message(diagnostic));
    }

    [Fact]
    public async Task CR0023_BiasDirectlyBeforeBatchNorm()
    {
        var diagnostic = await AssertSingleLint("""
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [[|Dense(48)|]] public partial DenseLayer<float> Projection { get; }
                [BatchNorm] public partial NormLayer<float> Norm { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0023");
        Assert.Equal("Layer 'Projection' adds a bias that BatchNorm 'Norm' subtracts again with the batch mean: its gradient is 0, so its 48 parameters never change and only cost work; declare the layer with Bias = false",
            Message(diagnostic));
    }

    [Fact]
    public async Task NoLintWhereTheBiasOrTheStackIsFine()
    {
        // An activation between the bias and the BatchNorm, a LayerNorm instead, no bias before a BatchNorm, a short
        // post-norm stack, a deep one with ReZero, and Xavier on Tanh (Glorot's own pairing) are all healthy.
        // No layer may be called Norm: `Norm.LayerNorm` in the [Residual] arguments would then bind to that property, the
        // model would not compile, and no lint would run at all.
        const string source = """
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(48, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
                [BatchNorm] public partial NormLayer<float> Batch { get; }
                [Dense(48)] public partial DenseLayer<float> Projection { get; }
                [LayerNorm] public partial NormLayer<float> Layer { get; }
                [Dense(48, Bias = false)] public partial DenseLayer<float> BiasFree { get; }
                [BatchNorm] public partial NormLayer<float> Batch2 { get; }
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 6, Placement = NormPlacement.Post)] public partial ResidualStack<float> Short { get; }
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 24, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<float> Deep { get; }
                [Dense(24, Activation.Tanh, Init = Init.XavierUniform)] public partial DenseLayer<float> Squash { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """;
        Assert.Empty(GeneratorHarness.Run(source).CompilationDiagnostics);
        ImmutableArray<Diagnostic> diagnostics = await Lints(source);
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics.Select(d => d.ToString())));
    }

    /// <summary>ReLU+He MLPs to depth 30, pre-LN and RMSNorm residual stacks to depth 50, BatchNorm MLPs, and more.</summary>
    public static TheoryData<string, string> HealthyArchitectures()
    {
        var data = new TheoryData<string, string>();
        string Dense(int units, string activation, int count, string stem, string init = "") =>
            string.Concat(Enumerable.Range(0, count).Select(i => $"[Dense({units}, Activation.{activation}{init})] public partial DenseLayer<float> {stem}{i} {{ get; }}\n"));
        foreach (int depth in new[] { 2, 5, 10, 20, 30 })
            data.Add($"ReluHe{depth}", Dense(128, "ReLU", depth, "Hidden"));
        data.Add("LeakyReluHeUniform20", Dense(64, "LeakyReLU", 20, "Hidden", ", Init = Init.HeUniform"));
        data.Add("Gelu12", Dense(96, "Gelu", 12, "Hidden"));
        data.Add("Silu8", Dense(96, "Silu", 8, "Hidden"));
        data.Add("TanhXavier3", Dense(64, "Tanh", 3, "Hidden"));
        data.Add("Funnel", "[Dense(256, Activation.ReLU)] public partial DenseLayer<float> A { get; }\n[Dense(64, Activation.ReLU)] public partial DenseLayer<float> B { get; }\n[Dense(16, Activation.ReLU)] public partial DenseLayer<float> C { get; }\n");
        foreach (int depth in new[] { 4, 8, 10 })
            data.Add($"BatchNormMlp{depth}", string.Concat(Enumerable.Range(0, depth).Select(i =>
                $"[Dense(64, Activation.ReLU)] public partial DenseLayer<float> Hidden{i} {{ get; }}\n[BatchNorm] public partial NormLayer<float> Norm{i} {{ get; }}\n")));
        data.Add("LayerNormMlp8", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"[Dense(64, Activation.Gelu)] public partial DenseLayer<float> Hidden{i} {{ get; }}\n[LayerNorm] public partial NormLayer<float> Norm{i} {{ get; }}\n")));
        foreach (int depth in new[] { 1, 4, 12, 20, 50 })
            data.Add($"PreLayerNorm{depth}", $"[Dense(64)] public partial DenseLayer<float> Embed {{ get; }}\n[Residual(Norm.LayerNorm, Activation.Gelu, Repeat = {depth}, Hidden = 128)] public partial ResidualStack<float> Body {{ get; }}\n[LayerNorm] public partial NormLayer<float> Final {{ get; }}\n");
        foreach (int depth in new[] { 8, 50 })
            data.Add($"PreRmsNorm{depth}", $"[Residual(Norm.RMSNorm, Activation.Silu, Repeat = {depth})] public partial ResidualStack<float> Body {{ get; }}\n[RMSNorm] public partial NormLayer<float> Final {{ get; }}\n");
        data.Add("PreBatchNorm10", "[Residual(Norm.BatchNorm, Activation.ReLU, Repeat = 10)] public partial ResidualStack<float> Body { get; }\n");
        data.Add("PostNormReZero30", "[Residual(Norm.LayerNorm, Activation.ReLU, Repeat = 30, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<float> Body { get; }\n");
        data.Add("PreNormReZero30", "[Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 30, ReZero = true)] public partial ResidualStack<float> Body { get; }\n");
        return data;
    }

    [Theory]
    [MemberData(nameof(HealthyArchitectures))]
    public async Task NoWarningOnAHealthyArchitecture(string name, string layers)
    {
        string source = $"using ChainRule;\n[Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]\npublic partial class {name}\n{{\n{layers}[Dense(10)] public partial DenseLayer<float> Logits {{ get; }}\n}}\n";
        ImmutableArray<Diagnostic> diagnostics = await Lints(source);
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics.Select(d => d.ToString())));
    }
}
