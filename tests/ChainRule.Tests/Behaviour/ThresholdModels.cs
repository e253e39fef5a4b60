using ChainRule;
using ChainRule.Kernels;

namespace ChainRule.Tests.Behaviour;

/// <summary>
/// Layer sizes taken from the kernels' own thresholds, so the models below keep crossing them when a threshold moves.
/// The cache blocks are derived at start-up from the machine (<see cref="GemmBlocking"/>), and attribute arguments are
/// constants: the sizes cross the blocks' upper bounds, so they cross the live blocks on every machine.
/// </summary>
internal static class ThresholdSizes
{
    /// <summary>Past one packed depth block, and odd: every vector width leaves a scalar tail.</summary>
    public const int Depth = GemmBlocking.MaxDepthBlock + 3;

    /// <summary>Past one packed column block, not a whole panel, and more output units than one packed row block of <c>Aᵀ</c>.</summary>
    public const int Wide = (GemmBlocking.MaxColumnBlock > GemmBlocking.MaxRowBlock ? GemmBlocking.MaxColumnBlock : GemmBlocking.MaxRowBlock) + Gemm.PackedMinColumns + 1;

    /// <summary>One column short of the packed <c>A Bᵀ</c>: the dot-product tiles at every batch.</summary>
    public const int BelowPacked = Gemm.PackedMinColumns - 1;

    /// <summary>Exactly the packed threshold.</summary>
    public const int AtPacked = Gemm.PackedMinColumns;

    public const int Outputs = 3;

    /// <summary>Inputs of the model whose parameter buffer just passes <see cref="ParallelRange.MinLength"/>.</summary>
    public const int LongInputs = Gemm.PackedMinColumns;

    /// <summary>Units that make <c>LongInputs·LongUnits + LongUnits</c> parameters reach <see cref="ParallelRange.MinLength"/>.</summary>
    public const int LongUnits = ParallelRange.MinLength / (LongInputs + 1) + 1;
}

/// <summary>Every dense product path: packed with the fused ReLU epilogue, unpacked tiles, one row, depth and column blocks.</summary>
[Network(Inputs = ThresholdSizes.Depth, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class ThresholdNet
{
    [Dense(ThresholdSizes.Wide, Activation.ReLU)] public partial DenseLayer<double> Wide { get; }
    [Dense(ThresholdSizes.BelowPacked, Activation.Tanh)] public partial DenseLayer<double> BelowPacked { get; }
    [Dense(ThresholdSizes.AtPacked, Activation.Gelu)] public partial DenseLayer<double> AtPacked { get; }
    [Dense(ThresholdSizes.Outputs)] public partial DenseLayer<double> Output { get; }
}

/// <summary><see cref="ThresholdNet"/> in float: the same paths at twice the lanes per register.</summary>
[Network(Inputs = ThresholdSizes.Depth, Loss = Loss.MeanSquaredError)]
public partial class ThresholdNetFloat
{
    [Dense(ThresholdSizes.Wide, Activation.ReLU)] public partial DenseLayer<float> Wide { get; }
    [Dense(ThresholdSizes.BelowPacked, Activation.Tanh)] public partial DenseLayer<float> BelowPacked { get; }
    [Dense(ThresholdSizes.AtPacked, Activation.Gelu)] public partial DenseLayer<float> AtPacked { get; }
    [Dense(ThresholdSizes.Outputs)] public partial DenseLayer<float> Output { get; }
}

/// <summary>A parameter buffer of at least <see cref="ParallelRange.MinLength"/>: whole-buffer passes split at 2 threads.</summary>
[Network(Inputs = ThresholdSizes.LongInputs, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class LongBufferNet
{
    [Dense(ThresholdSizes.LongUnits, Activation.Tanh)] public partial DenseLayer<double> Hidden { get; }
    [Dense(2)] public partial DenseLayer<double> Output { get; }
}
