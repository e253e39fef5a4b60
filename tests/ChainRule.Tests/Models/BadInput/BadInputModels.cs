using ChainRule;

namespace ChainRule.Tests.Models.BadInput;

// The models the bad-input suite adds to the existing ones, so that every loss runs in both precisions and
// BatchNorm, LayerNorm, RMSNorm and residual stacks each meet bad input in float and in double.

/// <summary>Softmax cross-entropy in double, through BatchNorm residual blocks.</summary>
[Network(Inputs = 3, Loss = Loss.SoftmaxCrossEntropy, Precision = Precision.Double)]
public partial class DoubleBatchNormClassifier
{
    [Dense(6, Activation.ReLU)] public partial DenseLayer<double> Hidden { get; }
    [Residual(Norm.BatchNorm, Activation.Gelu, Repeat = 2)] public partial ResidualStack<double> Body { get; }
    [Dense(4)] public partial DenseLayer<double> Logits { get; }
}

/// <summary>Mean squared error in float, with a BatchNorm layer and an RMSNorm residual block.</summary>
[Network(Inputs = 4, Loss = Loss.MeanSquaredError)]
public partial class FloatBatchNormRegressor
{
    [Dense(5, Activation.Tanh)] public partial DenseLayer<float> Hidden { get; }
    [BatchNorm] public partial NormLayer<float> Normalize { get; }
    [Residual(Norm.RMSNorm, Activation.Silu, Repeat = 1, Hidden = 3)] public partial ResidualStack<float> Refine { get; }
    [Dense(3)] public partial DenseLayer<float> Output { get; }
}

/// <summary>Binary cross-entropy with logits in double, through pre-LayerNorm residual blocks with ReZero.</summary>
[Network(Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits, Precision = Precision.Double)]
public partial class DoubleResidualDetector
{
    [Dense(4)] public partial DenseLayer<double> Embed { get; }
    [Residual(Norm.LayerNorm, Activation.Tanh, Repeat = 2, ReZero = true)] public partial ResidualStack<double> Body { get; }
    [Dense(2)] public partial DenseLayer<double> Logits { get; }
}
