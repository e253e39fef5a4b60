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
    private readonly string[] _layerNames;
    private readonly int[] _layerOffsets;
    private readonly T[] _statisticsBefore;
    private int _refusedLayer = -1; // the layer an update refusal named, for the exception when there is no report

    /// <summary>Validates <paramref name="options"/> and allocates the optimizer state, the report and the statistics' copy once.</summary>
    /// <param name="options">The trainer's options.</param>
    /// <param name="parameterCount">Length of the model's parameter and gradient buffers.</param>
    /// <param name="layerNames">The model's parameterized layers, in order, as the report names them.</param>
    /// <param name="layerOffsets">Where each of <paramref name="layerNames"/> starts in the parameter buffer: a refused update names the layer holding its first non-finite element.</param>
    /// <param name="loss">The loss's name, e.g. <c>SoftmaxCrossEntropy</c>, for a report whose loss was the first non-finite value.</param>
    /// <param name="statisticsCount">Length of the model's running-statistics buffer (BatchNorm), 0 without one.</param>
    /// <exception cref="ArgumentException"><paramref name="layerOffsets"/> does not have one offset per layer.</exception>
    public TrainingState(TrainerOptions options, int parameterCount, IReadOnlyList<string> layerNames, IReadOnlyList<int> layerOffsets, string loss, int statisticsCount)
        : this(options, parameterCount, layerNames, layerOffsets, loss, statisticsCount, [], [])
    {
    }

    /// <summary>
    /// As the other constructor, for a model with recurrent layers: the report also records their <c>‖∂L/∂h_t‖</c> per
    /// step (see <see cref="GradientReport(IReadOnlyList{string}, ReadOnlySpan{int}, ReadOnlySpan{int}, HealthThresholds?, string)"/>).
    /// </summary>
    /// <param name="options">The trainer's options.</param>
    /// <param name="parameterCount">Length of the model's parameter and gradient buffers.</param>
    /// <param name="layerNames">The model's parameterized layers, in order, as the report names them.</param>
    /// <param name="layerOffsets">Where each of <paramref name="layerNames"/> starts in the parameter buffer.</param>
    /// <param name="loss">The loss's name.</param>
    /// <param name="statisticsCount">Length of the model's running-statistics buffer (BatchNorm), 0 without one.</param>
    /// <param name="layerSteps">Per layer, its sequence length if it is recurrent, else 0.</param>
    /// <param name="firstSteps">Per layer, the first step that receives gradient.</param>
    /// <exception cref="ArgumentException"><paramref name="layerOffsets"/> does not have one offset per layer.</exception>
    public TrainingState(TrainerOptions options, int parameterCount, IReadOnlyList<string> layerNames, IReadOnlyList<int> layerOffsets, string loss, int statisticsCount,
        ReadOnlySpan<int> layerSteps, ReadOnlySpan<int> firstSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(layerNames);
        ArgumentNullException.ThrowIfNull(layerOffsets);
        ArgumentOutOfRangeException.ThrowIfNegative(statisticsCount);
        if (layerOffsets.Count != layerNames.Count)
            throw new ArgumentException($"{layerOffsets.Count} layer offsets for {layerNames.Count} layers.", nameof(layerOffsets));
        options.Validate();
        Options = options;
        Optimizer = options.Optimizer.Create<T>(parameterCount);
        Report = options.Report ? new GradientReport(layerNames, layerSteps, firstSteps, options.Health, loss) : null;
        _layerNames = [.. layerNames];
        _layerOffsets = [.. layerOffsets];
        _statisticsBefore = new T[statisticsCount];
    }

    /// <summary>The options the trainer was created with.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimizer and its state; its learning rate is the one the last step used.</summary>
    public Optimizer<T> Optimizer { get; }

    /// <summary>The last step's report, overwritten by each step; <c>null</c> when the options turned reports off.</summary>
    public GradientReport? Report { get; }

    /// <summary>Steps attempted, applied or skipped; the optimizer's StepCount counts the applied ones.</summary>
    public long Steps { get; private set; }

    /// <summary>Sets <see cref="Steps"/> from a trainer checkpoint.</summary>
    internal void RestoreSteps(long steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        Steps = steps;
    }

    /// <summary>
    /// Counts one batch in every BatchNorm's <c>num_batches_tracked</c> (PyTorch's counter of training forward passes)
    /// once a training forward pass's running statistics are kept, i.e. not put back by <see cref="RestoreStatistics"/>.
    /// </summary>
    /// <param name="batchesTracked">The model's counters, one per BatchNorm.</param>
    /// <remarks>Saturates at <see cref="long.MaxValue"/>: a step already applied must not throw for a counter that no number depends on.</remarks>
    public void CountBatch(Span<long> batchesTracked)
    {
        for (int i = 0; i < batchesTracked.Length; i++)
        {
            if (batchesTracked[i] < long.MaxValue)
                batchesTracked[i]++;
        }
    }

    /// <summary>
    /// Starts a step: sets the learning rate the schedule gives for the updates applied so far (a rate the optimizer
    /// rejects throws here, before anything changed), counts the step and opens the report.
    /// </summary>
    /// <returns>The report to fill during the passes, or <c>null</c>.</returns>
    /// <exception cref="InvalidOperationException">
    /// The schedule threw, or gave a learning rate the optimizer rejects (negative, not finite, or with decoupled decay
    /// <c>lr·weightDecay ≥ 1</c>); nothing was counted or changed.
    /// </exception>
    public GradientReport? Begin()
    {
        // The schedule may be the user's: ask it before counting, so one that throws or misbehaves leaves no trace.
        double learningRate = Options.Schedule.LearningRate(Optimizer.StepCount, Options.Optimizer.LearningRate);
        try
        {
            Optimizer.LearningRate = learningRate;
        }
        catch (ArgumentOutOfRangeException rejected)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The schedule {Options.Schedule} gave the learning rate {learningRate} for update {Optimizer.StepCount + 1}, which the optimizer rejects: {rejected.Message}"), rejected);
        }
        Steps++;
        _refusedLayer = -1;
        Report?.Begin(Steps, learningRate);
        return Report;
    }

    /// <summary>
    /// Keeps a copy of the running statistics before a training forward pass updates them, for
    /// <see cref="RestoreStatistics"/>: a step that is not applied must leave them as they were. They are tiny
    /// (2 × features per BatchNorm), so the copy costs nothing next to the step.
    /// </summary>
    /// <param name="statistics">The model's running statistics.</param>
    public void SaveStatistics(ReadOnlySpan<T> statistics) => statistics.CopyTo(_statisticsBefore);

    /// <summary>Puts back the running statistics <see cref="SaveStatistics"/> copied.</summary>
    /// <param name="statistics">The model's running statistics.</param>
    public void RestoreStatistics(Span<T> statistics) => _statisticsBefore.AsSpan(0, statistics.Length).CopyTo(statistics);

    /// <summary>
    /// Zeroes the gradients before a backward pass accumulates into them, split across <see cref="Kernels.Gemm.ThreadCount"/>
    /// threads when the buffer is long.
    /// </summary>
    /// <param name="gradients">The model's gradients.</param>
    public void ClearGradients(Span<T> gradients) => ParallelPasses<T>.Clear(gradients);

    /// <summary>
    /// Ends a step: when the loss and the gradient norm are finite, clips the gradients and applies the update unless
    /// it would make a parameter or the optimizer's state NaN or ∞ (then nothing is written and the report names the
    /// layer, in <see cref="Pass.Update"/>); a step not applied gets its running statistics back. Either way completes
    /// the report.
    /// </summary>
    /// <param name="loss">The batch's loss.</param>
    /// <param name="totalNorm">The L2 norm of every gradient before clipping (NaN when the backward pass did not run).</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="gradients">The model's gradients, laid out like <paramref name="parameters"/>.</param>
    /// <param name="statistics">The model's running statistics, as <see cref="SaveStatistics"/> saw them before the forward pass.</param>
    /// <param name="clipAdaptive">The model's unit-wise clipping, used when the options ask for adaptive clipping.</param>
    /// <returns>Whether the update was applied.</returns>
    public bool Finish(T loss, double totalNorm, Span<T> parameters, Span<T> gradients, Span<T> statistics, AdaptiveClipping<T> clipAdaptive)
    {
        bool applied = false;
        // The report may know more: a parameter that is ∞ while every output stayed finite (its ‖W‖).
        if (T.IsFinite(loss) && double.IsFinite(totalNorm) && Report?.HasNonFiniteLayer != true)
        {
            Clip(gradients, totalNorm, clipAdaptive);
            applied = Optimizer.TryUpdate(parameters, gradients, MaxGradientAfterClipping(totalNorm), out int firstNonFinite);
            if (!applied)
            {
                _refusedLayer = LayerOf(firstNonFinite);
                Report?.RecordNonFinite(_refusedLayer, Pass.Update);
            }
        }
        if (!applied)
            RestoreStatistics(statistics);
        Report?.Complete(double.CreateTruncating(loss), totalNorm, updateApplied: applied);
        return applied;
    }

    /// <summary>
    /// Under <see cref="NonFinitePolicy.Throw"/>, throws for a step whose update was not applied, naming the first layer
    /// (or the loss) and pass that produced NaN or ∞.
    /// </summary>
    /// <param name="applied">What <see cref="Finish"/> returned.</param>
    public void ThrowIfSkipped(bool applied)
    {
        if (applied || Options.OnNonFinite != NonFinitePolicy.Throw)
            return;
        if (Report is not null)
            throw new NonFiniteGradientException(Report.FirstNonFiniteLayer, Report.FirstNonFinitePass, Steps);
        // Without a report only a refused update's layer is known here.
        throw _refusedLayer >= 0
            ? new NonFiniteGradientException(_layerNames[_refusedLayer], Pass.Update, Steps)
            : new NonFiniteGradientException(null, null, Steps);
    }

    /// <summary>
    /// An upper bound on every gradient's magnitude once clipped: the L2 norm bounds each element, and clipping never
    /// increases one; global-norm and value clipping also cap it at their threshold.
    /// </summary>
    private double MaxGradientAfterClipping(double totalNorm)
    {
        ClippingOptions clip = Options.Clip;
        return clip.Kind is ClippingKind.GlobalNorm or ClippingKind.Value ? Math.Min(totalNorm, clip.Threshold) : totalNorm;
    }

    /// <summary>The layer whose parameters hold element <paramref name="index"/>: the one starting last at or before it.</summary>
    private int LayerOf(int index)
    {
        int layer = -1;
        for (int i = 0; i < _layerOffsets.Length; i++)
        {
            if (_layerOffsets[i] <= index && (layer < 0 || _layerOffsets[i] > _layerOffsets[layer]))
                layer = i;
        }
        return Math.Max(layer, 0);
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
