using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using ChainRule.CodeFixes;
using ChainRule.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>
/// The code fixes of CR0020, CR0022 and CR0023, source before and after, with each diagnostic's exact span and message. The
/// generator runs too, as in a build: the analyzer sees the generated code, and the fixed source must compile.
/// </summary>
public class CodeFixTests
{
    private sealed class Test<TFix> : CSharpCodeFixTest<StabilityAnalyzer, TFix, DefaultVerifier>
        where TFix : CodeFixProvider, new()
    {
        public Test(string source, string fixedSource, params DiagnosticResult[] expected)
        {
            // The runtime's own references, not a reference-assembly package fetched from a feed at test time.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References.Value);
            TestState.Sources.Add(source);
            FixedState.Sources.Add(fixedSource);
            TestState.ExpectedDiagnostics.AddRange(expected);
            // The generated files are the snapshot tests' business.
            TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        }

        protected override IEnumerable<Type> GetSourceGenerators() => [typeof(NetworkGenerator)];

        protected override ParseOptions CreateParseOptions() =>
            ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Preview);
    }

    private static DiagnosticResult Warning(string id, int location, string message) =>
        new DiagnosticResult(id, DiagnosticSeverity.Warning).WithLocation(location).WithMessage(message);

    [Fact]
    public async Task CR0020_XavierOnReluBecomesHe()
    {
        await new Test<InitMatchingActivationCodeFix>("""
            using ChainRule;
            [Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(64, Activation.ReLU, {|#0:Init = Init.XavierUniform|})] public partial DenseLayer<float> Hidden { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, """
            using ChainRule;
            [Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(64, Activation.ReLU, Init = Init.HeNormal)] public partial DenseLayer<float> Hidden { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """,
            Warning("CR0020", 0, "Layer 'Hidden' initializes its ReLU weights with XavierUniform: a variance 0.5× the 2/fan_in (He) that keeps a signal's variance through ReLU, for this layer alone; use Init.HeNormal or leave Init at its default"))
            .RunAsync();
    }

    [Fact]
    public async Task CR0020_HeOnTanhBecomesXavierInEveryLayerOfTheRun()
    {
        // HeUniform in the middle breaks the run, so each layer's factor is its own.
        await new Test<InitMatchingActivationCodeFix>("""
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(32, Activation.Tanh, {|#0:Init = Init.HeNormal|})] public partial DenseLayer<float> L1 { get; }
                [Dense(32, Activation.Tanh, {|#1:Init = ChainRule.Init.HeUniform|})] public partial DenseLayer<float> L2 { get; }
                [Dense(32, Activation.Tanh, {|#2:Init = Init.HeNormal|})] public partial DenseLayer<float> L3 { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, """
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(32, Activation.Tanh, Init = Init.XavierNormal)] public partial DenseLayer<float> L1 { get; }
                [Dense(32, Activation.Tanh, Init = ChainRule.Init.XavierNormal)] public partial DenseLayer<float> L2 { get; }
                [Dense(32, Activation.Tanh, Init = Init.XavierNormal)] public partial DenseLayer<float> L3 { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """,
            Warning("CR0020", 0, "Layer 'L1' initializes its Tanh weights with HeNormal: a variance 2× the 1/fan_in (LeCun) that keeps a signal's variance through Tanh, for this layer alone; use Init.XavierNormal or leave Init at its default"),
            Warning("CR0020", 1, "Layer 'L2' initializes its Tanh weights with HeUniform: a variance 2× the 1/fan_in (LeCun) that keeps a signal's variance through Tanh, for this layer alone; use Init.XavierNormal or leave Init at its default"),
            Warning("CR0020", 2, "Layer 'L3' initializes its Tanh weights with HeNormal: a variance 2× the 1/fan_in (LeCun) that keeps a signal's variance through Tanh, for this layer alone; use Init.XavierNormal or leave Init at its default"))
            .RunAsync();
    }

    [Fact]
    public async Task CR0022_PostNormStackBecomesPreNorm()
    {
        await new Test<PreNormPlacementCodeFix>("""
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 12, {|#0:Placement = NormPlacement.Post|})] public partial ResidualStack<float> Body { get; }
                [Residual(Norm.RMSNorm, Activation.Silu, {|#1:Placement = NormPlacement.Post|}, Repeat = 7, Hidden = 64)] public partial ResidualStack<float> Head { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, """
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 12)] public partial ResidualStack<float> Body { get; }
                [Residual(Norm.RMSNorm, Activation.Silu, Repeat = 7, Hidden = 64)] public partial ResidualStack<float> Head { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """,
            Warning("CR0022", 0, "Residual stack 'Body' normalizes after the residual add in 12 blocks without ReZero; post-norm stacks deeper than 6 blocks train unstably or diverge early on; use Placement = NormPlacement.Pre or ReZero = true, and a learning-rate warmup"),
            Warning("CR0022", 1, "Residual stack 'Head' normalizes after the residual add in 7 blocks without ReZero; post-norm stacks deeper than 6 blocks train unstably or diverge early on; use Placement = NormPlacement.Pre or ReZero = true, and a learning-rate warmup"))
            .RunAsync();
    }

    [Fact]
    public async Task CR0022_PostNormStackGetsReZero()
    {
        // The second remedy keeps post-norm: ReZero = true is added, or a written ReZero = false turned on.
        await new Test<ReZeroCodeFix>("""
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 12, {|#0:Placement = NormPlacement.Post|})] public partial ResidualStack<float> Body { get; }
                [Residual(Norm.RMSNorm, Activation.Silu, {|#1:Placement = NormPlacement.Post|}, ReZero = false, Repeat = 7)] public partial ResidualStack<float> Head { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, """
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 12, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<float> Body { get; }
                [Residual(Norm.RMSNorm, Activation.Silu, Placement = NormPlacement.Post, ReZero = true, Repeat = 7)] public partial ResidualStack<float> Head { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """,
            Warning("CR0022", 0, "Residual stack 'Body' normalizes after the residual add in 12 blocks without ReZero; post-norm stacks deeper than 6 blocks train unstably or diverge early on; use Placement = NormPlacement.Pre or ReZero = true, and a learning-rate warmup"),
            Warning("CR0022", 1, "Residual stack 'Head' normalizes after the residual add in 7 blocks without ReZero; post-norm stacks deeper than 6 blocks train unstably or diverge early on; use Placement = NormPlacement.Pre or ReZero = true, and a learning-rate warmup"))
            .RunAsync();
    }

    [Fact]
    public async Task CR0023_BiasBeforeBatchNormIsDropped()
    {
        // Added after the other arguments; a written Bias = true is turned off in place. The fixed layers get no CR0023.
        await new Test<BiasFreeCodeFix>("""
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [{|#0:Dense(48, Init = Init.XavierUniform)|}] public partial DenseLayer<float> Projection { get; }
                [BatchNorm] public partial NormLayer<float> Batch { get; }
                [{|#1:Dense(48, Bias = true)|}] public partial DenseLayer<float> Mix { get; }
                [BatchNorm] public partial NormLayer<float> Batch2 { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """, """
            using ChainRule;
            [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Model
            {
                [Dense(48, Init = Init.XavierUniform, Bias = false)] public partial DenseLayer<float> Projection { get; }
                [BatchNorm] public partial NormLayer<float> Batch { get; }
                [Dense(48, Bias = false)] public partial DenseLayer<float> Mix { get; }
                [BatchNorm] public partial NormLayer<float> Batch2 { get; }
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """,
            Warning("CR0023", 0, "Layer 'Projection' adds a bias that BatchNorm 'Batch' subtracts again with the batch mean: its gradient is 0, so its 48 parameters never change and only cost work; declare the layer with Bias = false"),
            Warning("CR0023", 1, "Layer 'Mix' adds a bias that BatchNorm 'Batch2' subtracts again with the batch mean: its gradient is 0, so its 48 parameters never change and only cost work; declare the layer with Bias = false"))
            .RunAsync();
    }
}
