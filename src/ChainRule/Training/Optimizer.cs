using System;
using System.Numerics;

namespace ChainRule.Training;

/// <summary>
/// Updates one contiguous parameter buffer from its gradient buffer, with PyTorch's algorithms. Its state (momentum
/// buffers, moments) is allocated once at creation; <see cref="Update"/> allocates nothing.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public abstract class Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private double _learningRate;

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

    /// <summary>The learning rate of the next step: the options' value at first, then whatever a schedule sets.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, NaN or infinite.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
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

    /// <summary>Validates the buffers, then counts the step; returns its number <c>t</c> (1 on the first update).</summary>
    private protected long BeginStep(int parameters, int gradients)
    {
        if (parameters != ParameterCount) Guard.Length(parameters, ParameterCount, $"({ParameterCount})", nameof(parameters));
        if (gradients != ParameterCount) Guard.Length(gradients, ParameterCount, $"({ParameterCount})", nameof(gradients));
        return ++StepCount;
    }
}
