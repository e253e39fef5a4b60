using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using ChainRule.Diagnostics;
using ChainRule.Kernels;

namespace ChainRule.Training;

/// <summary>
/// Clips a model's gradients unit by unit (adaptive clipping needs each tensor's shape, which only the generated
/// model knows): <c>λ</c> and <c>ε</c> as in <see cref="Clipping.Adaptive"/>.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public delegate void AdaptiveClipping<T>(T lambda, T epsilon);

/// <summary>
/// The part of a generated trainer that does not depend on the network: the optimizer and its learning-rate
/// schedule, clipping, the gradient report and the non-finite policy. A generated <c>Trainer</c> runs its own
/// forward and backward passes between <see cref="Begin"/> and <see cref="Finish"/>.
/// </summary>
/// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class TrainingState<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Validates <paramref name="options"/> and allocates the optimizer state and the report once.</summary>
    /// <param name="options">The trainer's options.</param>
    /// <param name="parameterCount">Length of the model's parameter and gradient buffers.</param>
    /// <param name="layerNames">The model's parameterized layers, in order, as the report names them.</param>
    public TrainingState(TrainerOptions options, int parameterCount, IReadOnlyList<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Optimizer = options.Optimizer.Create<T>(parameterCount);
        Report = options.Report ? new GradientReport(layerNames, options.Health) : null;
    }

    /// <summary>The options the trainer was created with.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimizer and its state; its learning rate is the one the last step used.</summary>
    public Optimizer<T> Optimizer { get; }

    /// <summary>The last step's report, overwritten by each step; <c>null</c> when the options turned reports off.</summary>
    public GradientReport? Report { get; }

    /// <summary>Steps attempted, applied or skipped; the optimizer's StepCount counts the applied ones.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// Starts a step: counts it, sets the learning rate the schedule gives for the updates applied so far, and opens
    /// the report.
    /// </summary>
    /// <returns>The report to fill during the passes, or <c>null</c>.</returns>
    /// <exception cref="InvalidOperationException">The schedule gave a learning rate that is negative or not finite; nothing was counted.</exception>
    public GradientReport? Begin()
    {
        // The schedule may be the user's: ask it before counting, so one that throws or misbehaves leaves no trace.
        double learningRate = Options.Schedule.LearningRate(Optimizer.StepCount, Options.Optimizer.LearningRate);
        if (!(learningRate >= 0 && double.IsFinite(learningRate)))
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The schedule {Options.Schedule} gave the learning rate {learningRate} for update {Optimizer.StepCount + 1}; a learning rate must be a finite number ≥ 0."));
        Steps++;
        Optimizer.LearningRate = learningRate;
        Report?.Begin(Steps, learningRate);
        return Report;
    }

    /// <summary>
    /// Zeroes the gradients before a backward pass accumulates into them, split across <see cref="Kernels.Gemm.ThreadCount"/>
    /// threads when the buffer is long.
    /// </summary>
    /// <param name="gradients">The model's gradients.</param>
    public void ClearGradients(Span<T> gradients) => ParallelPasses<T>.Clear(gradients);

    /// <summary>
    /// Ends a step: when the loss and the gradient norm are finite, clips the gradients and applies the update;
    /// either way completes the report.
    /// </summary>
    /// <param name="loss">The batch's loss.</param>
    /// <param name="totalNorm">The L2 norm of every gradient before clipping (NaN when the backward pass did not run).</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="gradients">The model's gradients, laid out like <paramref name="parameters"/>.</param>
    /// <param name="clipAdaptive">The model's unit-wise clipping, used when the options ask for adaptive clipping.</param>
    /// <returns>Whether the update was applied.</returns>
    public bool Finish(T loss, double totalNorm, Span<T> parameters, Span<T> gradients, AdaptiveClipping<T> clipAdaptive)
    {
        bool finite = T.IsFinite(loss) && double.IsFinite(totalNorm);
        if (finite)
        {
            Clip(gradients, totalNorm, clipAdaptive);
            Optimizer.Update(parameters, gradients);
        }
        Report?.Complete(double.CreateTruncating(loss), totalNorm, updateApplied: finite);
        return finite;
    }

    /// <summary>Under <see cref="NonFinitePolicy.Throw"/>, throws for a step whose update was not applied, naming the first layer and pass that produced NaN or ∞.</summary>
    /// <param name="applied">What <see cref="Finish"/> returned.</param>
    public void ThrowIfSkipped(bool applied)
    {
        if (!applied && Options.OnNonFinite == NonFinitePolicy.Throw)
            throw new NonFiniteGradientException(Report?.FirstNonFiniteLayer, Report?.FirstNonFinitePass, Steps);
    }

    private void Clip(Span<T> gradients, double totalNorm, AdaptiveClipping<T> clipAdaptive)
    {
        ClippingOptions clip = Options.Clip;
        switch (clip.Kind)
        {
            case ClippingKind.GlobalNorm:
                GradientClipping.ScaleToMaxNorm<T>(gradients, totalNorm, clip.Threshold);
                break;
            case ClippingKind.Value:
                GradientClipping.Value(gradients, T.CreateTruncating(clip.Threshold));
                break;
            case ClippingKind.Adaptive:
                clipAdaptive(T.CreateTruncating(clip.Threshold), T.CreateTruncating(clip.Epsilon));
                break;
        }
    }
}
