using System;

namespace ChainRule;

/// <summary>
/// A typed view of one dense layer's parameters and gradients inside a model's contiguous buffers.
/// The generator implements each <c>[Dense]</c> partial property by returning one of these; it holds no
/// data of its own, so reading it allocates nothing.
/// </summary>
/// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct DenseLayer<T>
{
    private readonly T[] _parameters;
    private readonly T[] _gradients;
    private readonly int _weightOffset;

    /// <summary>Creates a view of the layer whose weight starts at <paramref name="weightOffset"/>, its bias right after.</summary>
    /// <param name="name">The declared property name.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="gradients">The model's gradient buffer, laid out like <paramref name="parameters"/>.</param>
    /// <param name="weightOffset">Offset of <c>W[0, 0]</c> in both buffers.</param>
    /// <param name="inputs">Input width (<c>fan_in</c>).</param>
    /// <param name="outputs">Output width (<c>fan_out</c>).</param>
    /// <exception cref="ArgumentNullException">A name or buffer is null.</exception>
    /// <exception cref="ArgumentException">The buffers' lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the layer does not lie inside the buffers at <paramref name="weightOffset"/>.</exception>
    public DenseLayer(string name, T[] parameters, T[] gradients, int weightOffset, int inputs, int outputs)
        : this(name, parameters, gradients, weightOffset, inputs, outputs, bias: true)
    {
    }

    /// <summary>
    /// Creates a view of the layer whose weight starts at <paramref name="weightOffset"/>, its bias (if it has one,
    /// <paramref name="bias"/>) right after.
    /// </summary>
    /// <param name="name">The declared property name.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="gradients">The model's gradient buffer, laid out like <paramref name="parameters"/>.</param>
    /// <param name="weightOffset">Offset of <c>W[0, 0]</c> in both buffers.</param>
    /// <param name="inputs">Input width (<c>fan_in</c>).</param>
    /// <param name="outputs">Output width (<c>fan_out</c>).</param>
    /// <param name="bias">Whether the layer has a bias (<c>[Dense(…, Bias = false)]</c> has none).</param>
    /// <exception cref="ArgumentNullException">A name or buffer is null.</exception>
    /// <exception cref="ArgumentException">The buffers' lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the layer does not lie inside the buffers at <paramref name="weightOffset"/>.</exception>
    public DenseLayer(string name, T[] parameters, T[] gradients, int weightOffset, int inputs, int outputs, bool bias)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ViewBounds.SameLength(parameters.Length, gradients.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        long count = (long)inputs * outputs + (bias ? outputs : 0);
        if (!ViewBounds.Fits(count, weightOffset, parameters.Length))
            throw ViewBounds.OutsideBuffer(count, weightOffset, parameters.Length, $"A {outputs}×{inputs} dense layer", "parameters", nameof(weightOffset));
        Name = name;
        _parameters = parameters;
        _gradients = gradients;
        _weightOffset = weightOffset;
        Inputs = inputs;
        Outputs = outputs;
        HasBias = bias;
    }

    /// <summary>The declared property name.</summary>
    public string Name { get; }

    /// <summary>Input width (<c>fan_in</c>).</summary>
    public int Inputs { get; }

    /// <summary>Output width (<c>fan_out</c>).</summary>
    public int Outputs { get; }

    /// <summary>Whether the layer adds a bias; without one, <see cref="Bias"/> and <see cref="BiasGradient"/> are empty.</summary>
    public bool HasBias { get; }

    /// <summary>The weight <c>W</c>, row-major <c>[Outputs, Inputs]</c> as PyTorch's <c>nn.Linear.weight</c>.</summary>
    public Span<T> Weights => _parameters.AsSpan(_weightOffset, Inputs * Outputs);

    /// <summary>The bias <c>b</c>, <c>[Outputs]</c>; empty for a layer without bias.</summary>
    public Span<T> Bias => _parameters.AsSpan(_weightOffset + Inputs * Outputs, HasBias ? Outputs : 0);

    /// <summary><c>∂loss/∂W</c> from the last backward pass, <c>[Outputs, Inputs]</c>.</summary>
    public Span<T> WeightGradient => _gradients.AsSpan(_weightOffset, Inputs * Outputs);

    /// <summary><c>∂loss/∂b</c> from the last backward pass, <c>[Outputs]</c>; empty for a layer without bias.</summary>
    public Span<T> BiasGradient => _gradients.AsSpan(_weightOffset + Inputs * Outputs, HasBias ? Outputs : 0);
}
