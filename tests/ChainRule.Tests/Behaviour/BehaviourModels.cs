using ChainRule;
using ChainRule.Kernels;

namespace ChainRule.Tests.Behaviour;

/// <summary>
/// A float MLP as users write it: wide enough (≥ 64) that every product of a batch of 6 or more takes the packed GEMM
/// path with its fused ReLU epilogue, mean squared error so gradients can be made as small as a nearly fitted model's.
/// </summary>
[Network(Inputs = 64, Loss = Loss.MeanSquaredError)]
public partial class WideRegressor
{
    [Dense(96, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> Hidden2 { get; }
    [Dense(8)] public partial DenseLayer<float> Output { get; }
}

/// <summary>
/// Batch-1 inference through the one-row kernel: an odd input width leaves a scalar tail after every vector width, and
/// <c>n·k</c> reaches <see cref="Gemm.ParallelMinDotRow"/>, so at 2 threads the first product splits by columns.
/// </summary>
[Network(Inputs = BehaviourSizes.OddInputs, Loss = Loss.MeanSquaredError)]
public partial class OneRowModel
{
    [Dense(BehaviourSizes.OneRowSplitOutputs, Activation.Tanh)] public partial DenseLayer<float> Hidden { get; }
    [Dense(BehaviourSizes.OddInputs)] public partial DenseLayer<float> Output { get; }
}

/// <summary>Narrower than <see cref="Gemm.PackedMinColumns"/> everywhere: every batch takes the dot-product tiles.</summary>
[Network(Inputs = BehaviourSizes.OddInputs, Loss = Loss.MeanSquaredError)]
public partial class NarrowModel
{
    [Dense(Gemm.PackedMinColumns - 1, Activation.Tanh)] public partial DenseLayer<float> Hidden { get; }
    [Dense(Gemm.PackedMinColumns - 7)] public partial DenseLayer<float> Output { get; }
}

/// <summary>The wide float model's double twin.</summary>
[Network(Inputs = 64, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class WideRegressorDouble
{
    [Dense(96, Activation.ReLU)] public partial DenseLayer<double> Hidden { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<double> Hidden2 { get; }
    [Dense(8)] public partial DenseLayer<double> Output { get; }
}

internal static class BehaviourSizes
{
    /// <summary>Odd, so not a multiple of any vector width: every dot product ends in a scalar tail.</summary>
    public const int OddInputs = 67;

    /// <summary>The fewest outputs whose one-row product over <see cref="OddInputs"/> reaches the column-split threshold.</summary>
    public const int OneRowSplitOutputs = (int)((Gemm.ParallelMinDotRow + OddInputs - 1) / OddInputs);
}
