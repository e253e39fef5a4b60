using System;
using ChainRule.Diagnostics;

namespace ChainRule.Training;

/// <summary>
/// How a model's trainer is built: the largest batch its workspace holds, the optimizer and its learning-rate
/// schedule, gradient clipping, and what gradient health is flagged and what a NaN does.
/// </summary>
public sealed class TrainerOptions
{
    /// <summary>The largest batch a step accepts; the workspace is allocated for it once. Defaults to 32.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>The optimizer. Defaults to <c>Optimizers.Sgd(0.01)</c>.</summary>
    public OptimizerOptions Optimizer { get; init; } = Optimizers.Sgd(0.01);

    /// <summary>
    /// The learning rate per update, from the optimizer's <see cref="OptimizerOptions.LearningRate"/> as the base.
    /// Defaults to <see cref="Schedules.Constant"/>.
    /// </summary>
    public LearningRateSchedule Schedule { get; init; } = Schedules.Constant();

    /// <summary>Gradient clipping before each update. Defaults to <see cref="Clipping.None"/>.</summary>
    public ClippingOptions Clip { get; init; } = Clipping.None;

    /// <summary>When the gradient report flags a layer. Defaults to <c>new HealthThresholds()</c>.</summary>
    public HealthThresholds Health { get; init; } = new();

    /// <summary>
    /// Whether each step fills the trainer's <c>LastReport</c> and calls the model's <c>OnGradientReport</c> hook
    /// (default true). The gradient norms come out of the backward kernels either way; the report adds one pass
    /// over the weights for their norms. Non-finite steps are skipped (or throw) either way.
    /// </summary>
    public bool Report { get; init; } = true;

    /// <summary>
    /// What a step that produces NaN or ∞ does; either way its update is not applied. Defaults to
    /// <see cref="NonFinitePolicy.SkipStep"/>.
    /// </summary>
    public NonFinitePolicy OnNonFinite { get; init; } = NonFinitePolicy.SkipStep;

    /// <summary>Throws if the options cannot build a trainer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MaxBatch"/> is less than 1, or <see cref="OnNonFinite"/> is not a defined policy.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Optimizer"/>, <see cref="Schedule"/>, <see cref="Clip"/> or <see cref="Health"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The schedule's floor is above the optimizer's learning rate, or the health thresholds are inconsistent.
    /// </exception>
    public void Validate()
    {
        if (MaxBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "MaxBatch must be at least 1.");
        if (Optimizer is null)
            throw new ArgumentNullException(nameof(Optimizer), "TrainerOptions.Optimizer must be set.");
        if (Schedule is null)
            throw new ArgumentNullException(nameof(Schedule), "TrainerOptions.Schedule must be set (Schedules.Constant() for none).");
        if (Clip is null)
            throw new ArgumentNullException(nameof(Clip), "TrainerOptions.Clip must be set (Clipping.None for none).");
        if (Health is null)
            throw new ArgumentNullException(nameof(Health), "TrainerOptions.Health must be set.");
        if (OnNonFinite is not (NonFinitePolicy.SkipStep or NonFinitePolicy.Throw))
            throw new ArgumentOutOfRangeException(nameof(OnNonFinite), OnNonFinite, "OnNonFinite must be SkipStep or Throw.");
        if (Schedule.MinimumLearningRate > Optimizer.LearningRate)
            throw new ArgumentException(FormattableString.Invariant($"The schedule {Schedule} decays to {Schedule.MinimumLearningRate}, above the optimizer's learning rate {Optimizer.LearningRate}."), nameof(Schedule));
        Health.Validate();
    }
}
