using ChainRule;

namespace GradientFlow;

// Three 20-deep networks of width 256. The hidden layers are named Layer1..Layer20 (input side to output side) so
// that a layer's name is its depth on the chart.

/// <summary>20 sigmoid layers, Xavier init (the default for sigmoid), no skip path: the textbook vanishing gradient.</summary>
/// <remarks>The compiler sees it coming (CR0021: ≈ 10⁻¹² at Layer1 relative to Logits); this sample exists to show it.</remarks>
#pragma warning disable CR0021 // vanishing on purpose
[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]
internal sealed partial class PlainSigmoid
{
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer1 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer2 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer3 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer4 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer5 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer6 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer7 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer8 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer9 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer10 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer11 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer12 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer13 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer14 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer15 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer16 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer17 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer18 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer19 { get; }
    [Dense(256, Activation.Sigmoid)] public partial DenseLayer<float> Layer20 { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}
#pragma warning restore CR0021

/// <summary>20 ReLU layers, He init (the default for ReLU): the variance-preserving fix without a skip path.</summary>
[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]
internal sealed partial class ReluHe
{
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer1 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer2 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer3 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer4 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer5 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer6 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer7 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer8 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer9 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer10 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer11 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer12 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer13 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer14 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer15 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer16 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer17 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer18 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer19 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Layer20 { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>
/// 20 pre-LayerNorm residual blocks <c>x + Dense(GELU(Dense(LayerNorm(x))))</c> reading the 256 inputs directly (no
/// embedding layer: the input width already equals the stream's width, which <c>Width = 256</c> has the compiler check).
/// </summary>
[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]
internal sealed partial class PreNormResidual
{
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 20, Width = 256)] public partial ResidualStack<float> Body { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}
