namespace ChainRule.Tests.Serialization;

// Every layer kind and residual variant once, in float and in double with the same layer names, so the two share
// checkpoints; Fixtures/torch_interop.py builds the same network as an nn.Module.
// CR0021 is right about them: the BatchNorm right after Rms cancels Rms's γ, whose gradient only reaches the loss
// through ε. They exist to hold every kind of tensor, not to train well.
#pragma warning disable CR0021

[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy)]
public partial class EveryLayer
{
    [Dense(8, Activation.Gelu)] public partial DenseLayer<float> Hidden { get; }
    [LayerNorm] public partial NormLayer<float> Ln { get; }
    [RMSNorm] public partial NormLayer<float> Rms { get; }
    [BatchNorm] public partial NormLayer<float> Batch { get; }
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 2, ReZero = true)] public partial ResidualStack<float> Pre { get; }
    [Residual(Norm.RMSNorm, Activation.Tanh)] public partial ResidualStack<float> Plain { get; }
    [Residual(Norm.BatchNorm, Activation.ReLU, Hidden = 12, Placement = NormPlacement.Post)] public partial ResidualStack<float> Post { get; }
    [Residual(Norm.LayerNorm, Activation.Silu, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<float> PostScaled { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy, Precision = Precision.Double)]
public partial class EveryLayerDouble
{
    [Dense(8, Activation.Gelu)] public partial DenseLayer<double> Hidden { get; }
    [LayerNorm] public partial NormLayer<double> Ln { get; }
    [RMSNorm] public partial NormLayer<double> Rms { get; }
    [BatchNorm] public partial NormLayer<double> Batch { get; }
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 2, ReZero = true)] public partial ResidualStack<double> Pre { get; }
    [Residual(Norm.RMSNorm, Activation.Tanh)] public partial ResidualStack<double> Plain { get; }
    [Residual(Norm.BatchNorm, Activation.ReLU, Hidden = 12, Placement = NormPlacement.Post)] public partial ResidualStack<double> Post { get; }
    [Residual(Norm.LayerNorm, Activation.Silu, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<double> PostScaled { get; }
    [Dense(3)] public partial DenseLayer<double> Logits { get; }
}

// The same network with one activation changed: every tensor fits, the architecture does not.
[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy)]
public partial class EveryLayerOtherActivation
{
    [Dense(8, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [LayerNorm] public partial NormLayer<float> Ln { get; }
    [RMSNorm] public partial NormLayer<float> Rms { get; }
    [BatchNorm] public partial NormLayer<float> Batch { get; }
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 2, ReZero = true)] public partial ResidualStack<float> Pre { get; }
    [Residual(Norm.RMSNorm, Activation.Tanh)] public partial ResidualStack<float> Plain { get; }
    [Residual(Norm.BatchNorm, Activation.ReLU, Hidden = 12, Placement = NormPlacement.Post)] public partial ResidualStack<float> Post { get; }
    [Residual(Norm.LayerNorm, Activation.Silu, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<float> PostScaled { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}

// The same names with a wider residual branch in Post: Post.0.up.weight has another shape.
[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy)]
public partial class EveryLayerWiderPost
{
    [Dense(8, Activation.Gelu)] public partial DenseLayer<float> Hidden { get; }
    [LayerNorm] public partial NormLayer<float> Ln { get; }
    [RMSNorm] public partial NormLayer<float> Rms { get; }
    [BatchNorm] public partial NormLayer<float> Batch { get; }
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 2, ReZero = true)] public partial ResidualStack<float> Pre { get; }
    [Residual(Norm.RMSNorm, Activation.Tanh)] public partial ResidualStack<float> Plain { get; }
    [Residual(Norm.BatchNorm, Activation.ReLU, Hidden = 16, Placement = NormPlacement.Post)] public partial ResidualStack<float> Post { get; }
    [Residual(Norm.LayerNorm, Activation.Silu, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<float> PostScaled { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}

// Dense layers without bias (nn.Linear(bias=False)): before an activation, before a BatchNorm, and as the logits.
// Fixtures/torch_interop.py builds the same network as an nn.Module.
[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy)]
public partial class BiasFree
{
    [Dense(8, Activation.Tanh, Bias = false)] public partial DenseLayer<float> Hidden { get; }
    [Dense(8, Bias = false)] public partial DenseLayer<float> Projection { get; }
    [BatchNorm] public partial NormLayer<float> Batch { get; }
    [Dense(3, Bias = false)] public partial DenseLayer<float> Logits { get; }
}

[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy, Precision = Precision.Double)]
public partial class BiasFreeDouble
{
    [Dense(8, Activation.Tanh, Bias = false)] public partial DenseLayer<double> Hidden { get; }
    [Dense(8, Bias = false)] public partial DenseLayer<double> Projection { get; }
    [BatchNorm] public partial NormLayer<double> Batch { get; }
    [Dense(3, Bias = false)] public partial DenseLayer<double> Logits { get; }
}

// The same layers with their biases: every name of BiasFree's checkpoint, and a '.bias' beside each dense weight.
[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy)]
public partial class BiasFreeWithBiases
{
    [Dense(8, Activation.Tanh)] public partial DenseLayer<float> Hidden { get; }
#pragma warning disable CR0023 // the bias the BatchNorm cancels is the point of this twin
    [Dense(8)] public partial DenseLayer<float> Projection { get; }
#pragma warning restore CR0023
    [BatchNorm] public partial NormLayer<float> Batch { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}
