using ChainRule;

namespace ChainRule.Tests.Models.Lints;

// Each stability lint, triggered in a real build and silenced with '#pragma warning disable' around the attribute it
// points at. The project treats warnings as errors, so the build fails if a pragma stops applying to a generator
// diagnostic; Severities/ does the same through .editorconfig.

[Network(Inputs = 16, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PragmaInitMismatch
{
#pragma warning disable CR0020 // He on tanh, on purpose
    [Dense(16, Activation.Tanh, Init = Init.HeNormal)] public partial DenseLayer<float> Hidden { get; }
#pragma warning restore CR0020
    [Dense(4)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 16, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PragmaVanishing
{
#pragma warning disable CR0021 // 12 sigmoid layers vanish, on purpose
    [Dense(16, Activation.Sigmoid)] public partial DenseLayer<float> L1 { get; }
#pragma warning restore CR0021
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
public partial class PragmaPostNorm
{
#pragma warning disable CR0022 // a deep post-norm stack, on purpose
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 8, Placement = NormPlacement.Post)] public partial ResidualStack<float> Body { get; }
#pragma warning restore CR0022
    [Dense(4)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 16, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PragmaBiasBeforeBatchNorm
{
#pragma warning disable CR0023 // a cancelled bias, on purpose
    [Dense(16)] public partial DenseLayer<float> Projection { get; }
#pragma warning restore CR0023
    [BatchNorm] public partial NormLayer<float> Norm { get; }
    [Dense(4)] public partial DenseLayer<float> Logits { get; }
}
