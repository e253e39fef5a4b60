namespace ChainRule.Generators.Tests;

/// <summary>
/// Model sources that more than one test compiles, declared once so that the snapshot of a model's generated code and
/// the snapshot of its <c>Summary</c> cannot drift apart onto different models.
/// </summary>
internal static class ModelSources
{
    /// <summary>Three dense layers and softmax cross-entropy, in float; the README quotes its generated code.</summary>
    public const string DigitClassifier = """
        using ChainRule;

        namespace Samples;

        [Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class DigitClassifier
        {
            [Dense(128, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
            [Dense(64, Activation.ReLU)]  public partial DenseLayer<float> Hidden2 { get; }
            [Dense(10)]                   public partial DenseLayer<float> Logits { get; }
        }
        """;

    /// <summary>
    /// Double precision and mean squared error through a BatchNorm layer, post-BatchNorm residual blocks with ReZero
    /// and a post-RMSNorm block with its own hidden width and epsilon.
    /// </summary>
    public const string PostNormBatchNormReZero = """
        using ChainRule;

        namespace Deep;

        [Network(Inputs = 16, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
        public partial class PostNorm
        {
            [BatchNorm]                                                                  public partial NormLayer<double> InputNorm { get; }
            [Residual(Norm.BatchNorm, Activation.ReLU, Repeat = 2, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<double> Body { get; }
            [Residual(Norm.RMSNorm, Activation.Silu, Hidden = 8, Epsilon = 1e-4, Placement = NormPlacement.Post)] public partial ResidualStack<double> Refine { get; }
            [Dense(1)]                                                                   public partial DenseLayer<double> Output { get; }
        }
        """;

    /// <summary>
    /// Dense layers without bias (<c>Bias = false</c>) before a BatchNorm, before a fused ReLU, before Tanh and as
    /// the last layer: no bias slices, gradients, clipping or checkpoint tensors.
    /// </summary>
    public const string BiasFree = """
        using ChainRule;

        namespace Deep;

        [Network(Inputs = 12, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class BiasFree
        {
            [Dense(16, Bias = false)]                  public partial DenseLayer<float> Projection { get; }
            [BatchNorm]                                public partial NormLayer<float> Norm { get; }
            [Dense(16, Activation.ReLU, Bias = false)] public partial DenseLayer<float> Hidden { get; }
            [Dense(8, Activation.Tanh, Bias = false)]  public partial DenseLayer<float> Squash { get; }
            [Dense(4, Bias = false)]                   public partial DenseLayer<float> Logits { get; }
        }
        """;
}
