using ChainRule;

namespace FashionMnist;

/// <summary>The classic MLP baseline for Fashion-MNIST: 784 → 256 → 128 → 10.</summary>
[Network(Inputs = 784, Loss = Loss.SoftmaxCrossEntropy)]
public partial class Classifier
{
    /// <summary>First hidden layer.</summary>
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Hidden1 { get; }

    /// <summary>Second hidden layer.</summary>
    [Dense(128, Activation.ReLU)] public partial DenseLayer<float> Hidden2 { get; }

    /// <summary>One logit per class.</summary>
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}
