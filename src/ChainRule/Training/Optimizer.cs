using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using ChainRule.Kernels;

namespace ChainRule.Training;

/// <summary>
/// Updates one contiguous parameter buffer from its gradient buffer, with PyTorch's algorithms. Its state (momentum
/// buffers, moments) is allocated once at creation; <see cref="Update"/> allocates nothing.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public abstract unsafe class Optimizer<T> : IRangePass
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private double _learningRate;

    // The buffers of the update in progress, pinned by UpdateInParts while its parts run.
    private T* _parameters, _gradients;

    private protected Optimizer(OptimizerOptions options, int parameterCount)
    {
        Options = options;
        ParameterCount = parameterCount;
        _learningRate = options.LearningRate;
    }

    /// <summary>The options this optimizer was created from.</summary>
    public OptimizerOptions Options { get; }

    /// <summary>Length of the parameter and gradient buffers.</summary>
    public int ParameterCount { get; }

    /// <summary>
    /// The learning rate of the next update: <see cref="OptimizerOptions.LearningRate"/> at first; in a trainer, the
    /// trainer's <see cref="TrainerOptions.Schedule"/> applied to that base rate, set before every step. Not settable
    /// from outside: a value set by hand would be overwritten by the schedule at the next step, so the rate is chosen
    /// through the options' base rate and the schedule.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public double LearningRate
    {
        get => _learningRate;
        internal set
        {
            Optimizers.CheckNonNegative(value, nameof(value), "learning rate");
            _learningRate = value;
        }
    }

    /// <summary>Number of updates applied so far (PyTorch's <c>step</c>, 1 during the first update).</summary>
    public long StepCount { get; private set; }

    /// <summary>Applies one step: <paramref name="parameters"/> ← update(<paramref name="parameters"/>, <paramref name="gradients"/>, state).</summary>
    /// <param name="parameters">The parameter buffer, updated in place.</param>
    /// <param name="gradients">The gradient of the loss with respect to each parameter.</param>
    /// <exception cref="ArgumentException">A buffer's length is not <see cref="ParameterCount"/>; nothing is changed.</exception>
    public abstract void Update(Span<T> parameters, ReadOnlySpan<T> gradients);

    /// <summary>
    /// Runs <see cref="UpdateRange"/> over the whole buffers, split across <see cref="Gemm.ThreadCount"/> threads when
    /// they are long (<see cref="ParallelRange"/>): every element's update is independent of the others.
    /// </summary>
    private protected void UpdateInParts(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        fixed (T* p = parameters)
        fixed (T* g = gradients)
        {
            _parameters = p;
            _gradients = g;
            ParallelRange.Run(this, parameters.Length);
            _parameters = null;
            _gradients = null;
        }
    }

    /// <summary>The update of elements <c>[start, end)</c>, with the coefficients of the step in progress.</summary>
    private protected abstract void UpdateRange(ref T parameters, ref T gradients, int start, int end);

    void IRangePass.Run(int part, int start, int end) => UpdateRange(ref Unsafe.AsRef<T>(_parameters), ref Unsafe.AsRef<T>(_gradients), start, end);

    /// <summary>Validates the buffers, then counts the step; returns its number <c>t</c> (1 on the first update).</summary>
    private protected long BeginStep(int parameters, int gradients)
    {
        if (parameters != ParameterCount) Guard.Length(parameters, ParameterCount, $"({ParameterCount})", nameof(parameters));
        if (gradients != ParameterCount) Guard.Length(gradients, ParameterCount, $"({ParameterCount})", nameof(gradients));
        return ++StepCount;
    }
}
