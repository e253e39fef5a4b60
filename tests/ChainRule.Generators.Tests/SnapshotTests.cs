using System.Linq;
using System.Threading.Tasks;
using Xunit;
using static ChainRule.Generators.Tests.Verifier; // Verify.Xunit: using static VerifyXunit.Verifier;

namespace ChainRule.Generators.Tests;

/// <summary>The generated code of representative models, compared with committed snapshots; each must compile without a warning.</summary>
public class SnapshotTests
{
    /// <summary>The generated files of a model, after checking they compile without a diagnostic; the set of file names heads the text.</summary>
    private static string Generate(string source)
    {
        GeneratorOutput output = GeneratorHarness.Run(source);
        // Some snapshot models cover layer kinds and inits rather than train well; the stability lints' advice is theirs to ignore.
        Assert.Empty(output.Diagnostics.Where(d => !StabilityLint.Is(d)));
        Assert.Empty(output.CompilationDiagnostics);
        string files = string.Join("\n", output.Files.Select(f => $"//// {f.HintName}\n{f.Text}"));
        return $"//// generated files: {string.Join(", ", output.Files.Select(f => f.HintName))}\n{files}";
    }

    [Fact]
    public Task DigitClassifier() => Verify(Generate(ModelSources.DigitClassifier), "cs");

    [Fact]
    public Task DoubleRegressorNestedInContainingType() => Verify(Generate("""
        using ChainRule;

        namespace Physics.Models;

        public static partial class Surrogates
        {
            [Network(Inputs = 3, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
            internal partial class Regressor
            {
                [Dense(16, Activation.Tanh)]                                     public partial DenseLayer<double> Encoder { get; }
                [Dense(16, Activation.Gelu, Init = Init.Orthogonal)]            public partial DenseLayer<double> MLPHead { get; }
                [Dense(8, Activation.Sigmoid, Init = Init.XavierUniform)]       internal partial DenseLayer<double> Squash { get; }
                [Dense(2)]                                                       public partial DenseLayer<double> Output { get; }
            }
        }
        """), "cs");

    [Fact]
    public Task BinaryClassifierInGlobalNamespace() => Verify(Generate("""
        using ChainRule;

        [Network(Inputs = 20, Loss = Loss.BinaryCrossEntropyWithLogits)]
        sealed partial class SpamFilter
        {
            [Dense(32, Activation.Silu, Init = Init.HeUniform)]       public partial DenseLayer<float> Features { get; }
            [Dense(32, Activation.LeakyReLU, Init = Init.LeCunNormal)] private partial DenseLayer<float> Mix { get; }
            [Dense(1)]                                                public partial DenseLayer<float> Score { get; }
        }
        """), "cs");

    [Fact]
    public Task PreLayerNormResidual20Blocks() => Verify(Generate("""
        using ChainRule;

        namespace Deep;

        [Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class DeepResidual
        {
            [Dense(64)]                                                        public partial DenseLayer<float> Embed { get; }
            [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 20, Hidden = 128)] public partial ResidualStack<float> Body { get; }
            [LayerNorm]                                                        public partial NormLayer<float> FinalNorm { get; }
            [Dense(10)]                                                        public partial DenseLayer<float> Logits { get; }
        }
        """), "cs");

    [Fact]
    public Task PostNormBatchNormReZero() => Verify(Generate(ModelSources.PostNormBatchNormReZero), "cs");

    [Fact]
    public Task BiasFree() => Verify(Generate(ModelSources.BiasFree), "cs");

    /// <summary>Names that collide with the locals of other layers, and keywords: numbered stems and @ where needed, still readable.</summary>
    /// <summary>A sequence regressor: two stacked LSTMs (every step into the last step, truncated BPTT, orthogonal W_hh, forget bias 1) and a head.</summary>
    [Fact]
    public Task StackedLstmRegressor() => Verify(Generate("""
        using ChainRule;

        namespace Forecast;

        [Network(Inputs = 3, Steps = 12, Loss = Loss.MeanSquaredError)]
        public partial class StackedLstm
        {
            [Lstm(16, ReturnSequences = true, RecurrentInit = Init.Orthogonal, ForgetBias = 1)] public partial RecurrentLayer<float> Encoder { get; }
            [Lstm(8, Truncate = 5)]                                                             public partial RecurrentLayer<float> Final { get; }
            [Dense(2)]                                                                          public partial DenseLayer<float> Head { get; }
        }
        """), "cs");

    /// <summary>A per-step tagger: a dense layer on every step of the input, a GRU returning every step, and a per-step head.</summary>
    [Fact]
    public Task GruPerStepTagger() => Verify(Generate("""
        using ChainRule;

        [Network(Inputs = 4, Steps = 10, Loss = Loss.BinaryCrossEntropyWithLogits)]
        public partial class Tagger
        {
            [Dense(6, Activation.Tanh)]        public partial DenseLayer<float> Embed { get; }
            [Gru(8, ReturnSequences = true)]   public partial RecurrentLayer<float> Memory { get; }
            [Dense(1)]                         public partial DenseLayer<float> Tag { get; }
        }
        """), "cs");

    [Fact]
    public Task CollidingAndKeywordNames() => Verify(Generate("""
        using ChainRule;

        namespace Models.@namespace;

        [Network(Inputs = 8, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class @event
        {
            [Residual(Norm.LayerNorm, Activation.ReLU, Repeat = 2)] public partial ResidualStack<float> Body { get; }
            [Residual(Norm.RMSNorm, Activation.Gelu)]                 public partial ResidualStack<float> Body0Down { get; }
            [Dense(6, Activation.Tanh)]                               public partial DenseLayer<float> @class { get; }
            [Dense(4)]                                                public partial DenseLayer<float> Logits { get; }
            [Dense(3)]                                                public partial DenseLayer<float> Dlogits { get; }
        }
        """), "cs");
}
