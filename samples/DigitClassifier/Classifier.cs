using ChainRule;

namespace DigitClassifier;

/// <summary>A two-hidden-layer MLP over the 8x8 digits; the generator writes the rest of this class.</summary>
[Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
internal sealed partial class Classifier
{
    [Dense(128, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [Dense(64, Activation.ReLU)]  public partial DenseLayer<float> Hidden2 { get; }
    [Dense(10)]                   public partial DenseLayer<float> Logits { get; }
}
