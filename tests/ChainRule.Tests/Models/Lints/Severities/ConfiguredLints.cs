using ChainRule;

namespace ChainRule.Tests.Models.Lints.Severities;

// The four stability lints of ../SuppressedLints.cs, silenced by the .editorconfig beside this file instead of pragmas.

[Network(Inputs = 16, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ConfiguredInitMismatch
{
    [Dense(16, Activation.Tanh, Init = Init.HeNormal)] public partial DenseLayer<float> Hidden { get; }
    [Dense(4)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 16, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ConfiguredVanishing
{
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L1 { get; }
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L2 { get; }
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L3 { get; }
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L4 { get; }
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L5 { get; }
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L6 { get; }
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L7 { get; }
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L8 { get; }
    [Dense(4)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 16, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ConfiguredPostNorm
{
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 8, Placement = NormPlacement.Post)] public partial ResidualStack<float> Body { get; }
    [Dense(4)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 16, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ConfiguredBiasBeforeBatchNorm
{
    [Dense(16)] public partial DenseLayer<float> Projection { get; }
    [BatchNorm] public partial NormLayer<float> Norm { get; }
    [Dense(4)] public partial DenseLayer<float> Logits { get; }
}
