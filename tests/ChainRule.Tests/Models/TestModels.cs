using ChainRule;

namespace ChainRule.Tests.Models;

[Network(Inputs = 4, Loss = Loss.SoftmaxCrossEntropy)]
public partial class BlobClassifier
{
    [Dense(16, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 3, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class CurveFitter
{
    [Dense(8, Activation.Tanh)] public partial DenseLayer<double> Hidden { get; }
    [Dense(2)] public partial DenseLayer<double> Output { get; }
}

[Network(Inputs = 5, Loss = Loss.BinaryCrossEntropyWithLogits)]
public partial class Detector
{
    [Dense(6, Activation.Gelu)] public partial DenseLayer<float> Hidden { get; }
    [Dense(2)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>Wide enough that sample statistics of the initial weights are close to their distribution's.</summary>
[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]
public partial class WideNetwork
{
    [Dense(512, Activation.ReLU)] public partial DenseLayer<float> Rectified { get; }
    [Dense(384, Activation.Tanh)] public partial DenseLayer<float> Saturating { get; }
#pragma warning disable CR0020 // a declared init that differs from the default is the point of this layer
    [Dense(256, Activation.Silu, Init = Init.XavierUniform)] public partial DenseLayer<float> Overridden { get; }
#pragma warning restore CR0020
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}
