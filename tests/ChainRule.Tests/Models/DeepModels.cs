using ChainRule;

namespace ChainRule.Tests.Models;

/// <summary>20 sigmoid layers with Xavier init and no skip path: the textbook vanishing-gradient network.</summary>
#pragma warning disable CR0021 // the compiler predicts what this network is for: the report's tests measure it vanishing
[Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PlainSigmoid20
{
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer0 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer1 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer2 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer3 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer4 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer5 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer6 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer7 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer8 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer9 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer10 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer11 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer12 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer13 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer14 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer15 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer16 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer17 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer18 { get; }
    [Dense(32, Activation.Sigmoid)] public partial DenseLayer<float> Layer19 { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}
#pragma warning restore CR0021

/// <summary>50 pre-LayerNorm residual blocks: the same depth problem solved by an identity skip path.</summary>
[Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PreNormResidual50
{
    [Dense(32)] public partial DenseLayer<float> Embed { get; }
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 50)] public partial ResidualStack<float> Body { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>BatchNorm reading the network input directly, so its running statistics follow from the inputs alone.</summary>
[Network(Inputs = 3, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class BatchNormFirst
{
    [BatchNorm] public partial NormLayer<double> Norm { get; }
    [Dense(2)] public partial DenseLayer<double> Output { get; }
}

/// <summary>A post-norm residual model with BatchNorm blocks and ReZero, for evaluation-mode checks.</summary>
[Network(Inputs = 4, Loss = Loss.SoftmaxCrossEntropy)]
public partial class BatchNormResidual
{
    [Dense(8, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    // With α = 0 block 1's BatchNorm reads block 0's output unchanged and undoes its γ: CR0021 says so, rightly.
#pragma warning disable CR0021
    [Residual(Norm.BatchNorm, Activation.Tanh, Repeat = 2, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<float> Body { get; }
#pragma warning restore CR0021
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}
