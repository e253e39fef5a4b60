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
    internal static Diagnostic AssertSingle(string markedSource, string id, DiagnosticSeverity severity = DiagnosticSeverity.Error)
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
        Assert.DoesNotContain(output.CompilationDiagnostics, d => d.Location.SourceTree?.FilePath != GeneratorHarness.ModelPath);
        return diagnostic;
    }

    private static string Message(Diagnostic diagnostic) => diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void CR0015_ParameterCountBeyondAnArray()
    {
        // 70000 × 70000 + 70000 wrapped to a positive int before: a model that compiled with a wrong ParameterCount.
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 70000, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Dense([|70000|])] public partial DenseLayer<float> Wide { get; }
            }
            """, "CR0015");
        Assert.Equal("Layer 'Wide' makes the network too large: the network's parameters would number 4,900,070,000, but a .NET array holds at most 2,147,483,591 elements",
            Message(diagnostic));
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(8)] public partial DenseLayer<float> Hidden { get; }
                [Dense([|int.MaxValue|])] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0015");
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, [|Hidden = int.MaxValue|], Repeat = 2)] public partial ResidualStack<float> Body { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0015");
    }

    [Fact]
    public void CR0015_WorkspacePerSampleBeyondAnArray()
    {
        // 1.6e9 parameters fit; the sample's workspace (output, input gradient, batch statistics: 3.2e9) does not.
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 800_000_000, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [[|BatchNorm|]] public partial NormLayer<float> Norm { get; }
            }
            """, "CR0015");
        Assert.Equal("Norm layer 'Norm' makes the network too large: one sample's workspace would hold 3,200,000,000 values, but a .NET array holds at most 2,147,483,591 elements",
            Message(diagnostic));
    }

    [Fact]
    public void CR0015_TooManyUnrolledLayers()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Residual(Norm.LayerNorm, Activation.Gelu, [|Repeat = 1_000_000|])] public partial ResidualStack<float> Body { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0015");
        Assert.StartsWith("Residual stack 'Body' makes the network too large: it unrolls the network to 3,000,000 layers, but the generator writes straight-line code for at most 4,096", Message(diagnostic));
        // The limit counts the whole network: two stacks each under it, together over it.
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Residual(Norm.RMSNorm, Activation.Gelu, Repeat = 1000)] public partial ResidualStack<float> First { get; }
                [Residual(Norm.RMSNorm, Activation.Gelu, [|Repeat = 400|])] public partial ResidualStack<float> Second { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0015");
    }

    [Fact]
    public void CR0016_LayerNamedLikeAGeneratedMember()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(2)] public partial DenseLayer<float> [|Parameters|] { get; }
            }
            """, "CR0016");
        Assert.Equal("Layer 'Parameters' collides with the generated property 'Parameters'; rename it", Message(diagnostic));
        foreach (string name in new[] { "Gradients", "Predict", "PredictBatch", "InputSize", "OutputSize", "ParameterCount", "ActivationsPerSample",
            "CreateTrainer", "Trainer", "OnGradientReport", "LayerNames", "Forward", "Backward", "_parameters",
            "Save", "SaveToBytes", "Load", "Checkpoint", "CheckpointTensors", "_batchesTracked" })
        {
            AssertSingle($$"""
                using ChainRule;
                [Network(Inputs = 4)]
                public partial class Model
                {
                    [Dense(2)] public partial DenseLayer<float> [|{{name}}|] { get; }
                }
                """, "CR0016");
        }
    }

    [Fact]
    public void CR0016_NetworkNamedTrainerAndSeedConstructor()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class [|Trainer|]
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0016");
        Assert.Equal("The network name 'Trainer' collides with the generated nested class 'Trainer'; a member cannot have its class's name, so rename the class", Message(diagnostic));
        diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                public [|Model|](int seed) { }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0016");
        Assert.StartsWith("The constructor 'Model(int)' collides with the generated constructor 'Model(int)'; remove it", Message(diagnostic));
        diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                public void [|Predict|](System.ReadOnlySpan<float> input, System.Span<float> output) { }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0016");
        // A signature of two parameters, as the message spells it.
        Assert.Contains("method 'Predict(ReadOnlySpan<float>, Span<float>)'", Message(diagnostic), System.StringComparison.Ordinal);
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                public sealed class [|Trainer|] { }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0016");
    }

    [Fact]
    public void CR0016_BaseClassMemberTheGeneratedOneWouldHide()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            public class Base { public int InputSize => 3; }
            [Network(Inputs = 4)]
            public partial class Model : [|Base|]
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0016");
        Assert.StartsWith("'InputSize', inherited from 'Base', collides with the generated constant 'InputSize'", Message(diagnostic));
    }

    [Fact]
    public void OverloadsOtherConstructorsAndTheHookImplementationAreAllowed()
    {
        GeneratorOutput output = GeneratorHarness.Run("""
            using ChainRule;
            public class Base { protected Base() { } private int Predict => 0; public void Train() { } }
            [Network(Inputs = 4)]
            public partial class Model : Base
            {
                public Model() : this(seed: 0) { }
                public Model(long seed) : this((int)seed) { }
                public int Predict(System.ReadOnlySpan<float> input) => 0;
                public int Reports { get; private set; }
                partial void OnGradientReport(ChainRule.Diagnostics.GradientReport report) => Reports++;
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """);
        Assert.Empty(output.Diagnostics);
        Assert.Single(output.Files);
        Assert.Empty(output.CompilationDiagnostics);
    }

    [Fact]
    public void CR0017_TwoLayerAttributesOnOneProperty()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(4)][[|LayerNorm|]] public partial DenseLayer<float> Hidden { get; }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0017");
        Assert.Equal("'Hidden' cannot be a layer: it has two layer attributes, [Dense] and [LayerNorm], and a property declares one layer", Message(diagnostic));
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(4), [|Residual(Norm.LayerNorm, Activation.Gelu)|]] public partial DenseLayer<float> Hidden { get; }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0017");
    }

    [Fact]
    public void CR0017_IndexerAndImplementedLayers()
    {
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(2)] public partial DenseLayer<float> [|this|][int index] { get; }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0017");
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
                public partial DenseLayer<float> [|Output|] => default;
            }
            """, "CR0017");
        Assert.StartsWith("'Output' cannot be a layer: it already has an implementing declaration here", Message(diagnostic));
    }

    [Fact]
    public void CR0018_EpsilonOutsideTheElementType()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [LayerNorm([|Epsilon = 1e-50|])] public partial NormLayer<float> Norm { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0018");
        Assert.Equal("Epsilon of 'Norm' is 1E-50, outside what float represents: its positive normal values run from 1.1754944E-38 to 3.4028235E+38", Message(diagnostic));
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Residual(Norm.RMSNorm, Activation.Gelu, [|Epsilon = 1e300|])] public partial ResidualStack<float> Body { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0018");
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Precision = Precision.Double)]
            public partial class Model
            {
                [BatchNorm([|Epsilon = 1e-310|])] public partial NormLayer<double> Norm { get; }
                [Dense(2)] public partial DenseLayer<double> Logits { get; }
            }
            """, "CR0018");
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Precision = Precision.Double)]
            public partial class Model
            {
                [LayerNorm([|Epsilon = double.PositiveInfinity|])] public partial NormLayer<double> Norm { get; }
                [Dense(2)] public partial DenseLayer<double> Logits { get; }
            }
            """, "CR0018");
        // In range for double, which writes it as a double literal.
        GeneratorOutput output = GeneratorHarness.Run("""
            using ChainRule;
            [Network(Inputs = 4, Precision = Precision.Double)]
            public partial class Model
            {
                [LayerNorm(Epsilon = 1e-50)] public partial NormLayer<double> Norm { get; }
                [Dense(2)] public partial DenseLayer<double> Logits { get; }
            }
            """);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationDiagnostics);
    }

    [Fact]
    public void CR0003_NaNEpsilon()
    {
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [RMSNorm([|Epsilon = double.NaN|])] public partial NormLayer<float> Norm { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """, "CR0003");
    }

    [Fact]
    public void CR0008_RecordFileClassAndBaseWithoutParameterlessConstructor()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial record [|Model|]
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0008");
        Assert.StartsWith("'Model' cannot be a network: a record's synthesized equality", Message(diagnostic));
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4)]
            file partial class [|Model|]
            {
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0008");
        AssertSingle("""
            using ChainRule;
            file partial class Outer
            {
                [Network(Inputs = 4)]
                public partial class [|Model|]
                {
                    [Dense(2)] public partial DenseLayer<float> Output { get; }
                }
            }
            """, "CR0008");
        diagnostic = AssertSingle("""
            using ChainRule;
            public class Base { public Base(int size) { } }
            [Network(Inputs = 4)]
            public partial class Model : [|Base|]
            {
                public Model() : base(1) { }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0008");
        Assert.Equal("'Model' cannot be a network: its base class 'Base' has no accessible parameterless constructor for the generated constructor to call", Message(diagnostic));
        AssertSingle("""
            using ChainRule;
            public class Base { private Base() { } internal Base(int size) { } }
            [Network(Inputs = 4)]
            public partial class Model : [|Base|], System.IDisposable
            {
                public void Dispose() { }
                [Dense(2)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0008");
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
    public void CR0003_NegativeInputsIsNotAlsoTooLarge()
    {
        AssertSingle("""
            using ChainRule;
            [Network([|Inputs = -5|])]
            public partial class Model
            {
                [Dense(3)] public partial DenseLayer<float> Output { get; }
            }
            """, "CR0003");
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
    public void CR0024_RecurrentLayerInANetworkWithoutSteps()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 3, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [[|Lstm(8)|]] public partial RecurrentLayer<float> Memory { get; }
                [Dense(1)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0024");
        Assert.Equal("Recurrent layer 'Memory' reads a sequence, but the network declares no sequence length; declare it as [Network(Inputs = F, Steps = T)] to read each sample as T steps of F features",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0024_RecurrentLayerAfterOneThatReturnsTheLastStep()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 3, Steps = 20, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Lstm(16)] public partial RecurrentLayer<float> First { get; }
                [[|Gru(16)|]] public partial RecurrentLayer<float> Second { get; }
                [Dense(1)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0024");
        Assert.Equal("Recurrent layer 'Second' reads a sequence, but 'First' before it returns only its last step; declare 'First' with ReturnSequences = true to stack recurrent layers",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0025_NegativeSteps()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 3, [|Steps = -4|], Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Dense(1)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0025");
        Assert.Equal("Steps is -4, but a sequence length must be positive, or 0 for a network that reads no sequences", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("11")]
    public void CR0025_TruncationOutsideTheSequence(string truncate)
    {
        var diagnostic = AssertSingle($$"""
            using ChainRule;
            [Network(Inputs = 3, Steps = 10, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Rnn(4, [|Truncate = {{truncate}}|])] public partial RecurrentLayer<float> Memory { get; }
                [Dense(1)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0025");
        Assert.Equal($"Truncate of 'Memory' is {truncate}, but it must be 0 (full backpropagation through time) or a number of steps from 1 to Steps = 10",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0026_NormBetweenSequenceLayers()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Steps = 10, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Lstm(8, ReturnSequences = true)] public partial RecurrentLayer<float> Encoder { get; }
                [[|LayerNorm|]] public partial NormLayer<float> Norm { get; }
                [Dense(1)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0026");
        Assert.Equal("Norm layer 'Norm' cannot read a sequence: its input is a sequence of 10 steps, and only dense layers apply to each step; place it after a recurrent layer that returns its last step (ReturnSequences = false)",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0026_SoftmaxCrossEntropyOnEveryStep()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Steps = 10, [|Loss = Loss.SoftmaxCrossEntropy|])]
            public partial class Model
            {
                [Gru(8, ReturnSequences = true)] public partial RecurrentLayer<float> Encoder { get; }
                [Dense(3)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0026");
        Assert.StartsWith("The loss SoftmaxCrossEntropy cannot read a sequence: 'Head', the last layer, outputs every one of the 10 steps",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0004_RnnActivationOtherThanTanhOrRelu()
    {
        var diagnostic = AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Steps = 3, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Rnn(8, [|Activation.Gelu|])] public partial RecurrentLayer<float> Memory { get; }
                [Dense(1)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0004");
        Assert.Equal("Activation.Gelu is not a defined RNN activation value; use one of: Tanh, ReLU", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CR0007_ZeroRecurrentInit() =>
        AssertSingle("""
            using ChainRule;
            [Network(Inputs = 4, Steps = 3, Loss = Loss.MeanSquaredError)]
            public partial class Model
            {
                [Gru(8, [|RecurrentInit = Init.Zeros|])] public partial RecurrentLayer<float> Memory { get; }
                [Dense(1)] public partial DenseLayer<float> Head { get; }
            }
            """, "CR0007");

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
