using System;

namespace ChainRule.Training;

/// <summary>How a model's trainer is built: the largest batch its workspace holds, and the optimizer.</summary>
public sealed class TrainerOptions
{
    /// <summary>The largest batch a step accepts; the workspace is allocated for it once. Defaults to 32.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>The optimizer. Defaults to <c>Optimizers.Sgd(0.01)</c>.</summary>
    public OptimizerOptions Optimizer { get; init; } = Optimizers.Sgd(0.01);

    /// <summary>Throws if the options cannot build a trainer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MaxBatch"/> is less than 1.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Optimizer"/> is null.</exception>
    public void Validate()
    {
        if (MaxBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "MaxBatch must be at least 1.");
        if (Optimizer is null)
            throw new ArgumentNullException(nameof(Optimizer), "TrainerOptions.Optimizer must be set.");
    }
}
