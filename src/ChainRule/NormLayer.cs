using System;

namespace ChainRule;

/// <summary>
/// A typed view of one normalization layer's parameters (γ, and β except for RMSNorm), their gradients and, for
/// BatchNorm, its running statistics, inside a model's buffers. Reading it allocates nothing.
/// </summary>
/// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct NormLayer<T>
{
    private readonly T[] _parameters;
    private readonly T[] _gradients;
    private readonly T[] _statistics;
    private readonly int _gammaOffset;
    private readonly int _statisticsOffset;

    /// <summary>Creates a view of a normalization layer whose γ starts at <paramref name="gammaOffset"/>, β right after it.</summary>
    /// <param name="name">The layer's name, e.g. <c>Norm</c> or <c>Body.3.norm</c>.</param>
    /// <param name="kind">The normalization kind; RMSNorm has no β, only BatchNorm has running statistics.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="gradients">The model's gradient buffer, laid out like <paramref name="parameters"/>.</param>
    /// <param name="statistics">The model's running-statistics buffer (empty when the model has no BatchNorm).</param>
    /// <param name="gammaOffset">Offset of γ in the parameter and gradient buffers.</param>
    /// <param name="statisticsOffset">Offset of the running mean (the running variance follows) for BatchNorm; ignored otherwise.</param>
    /// <param name="features">The width normalized.</param>
    /// <exception cref="ArgumentNullException">The name or a buffer is null.</exception>
    /// <exception cref="ArgumentException">The parameter and gradient buffers' lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The kind is undefined, <paramref name="features"/> is not positive, or the layer does not lie inside the buffers at its offsets.
    /// </exception>
    public NormLayer(string name, Norm kind, T[] parameters, T[] gradients, T[] statistics, int gammaOffset, int statisticsOffset, int features)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(statistics);
        ViewBounds.SameLength(parameters.Length, gradients.Length);
        ViewBounds.Defined(kind, nameof(kind));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        long count = kind == Norm.RMSNorm ? features : 2L * features;
        if (!ViewBounds.Fits(count, gammaOffset, parameters.Length))
            throw ViewBounds.OutsideBuffer(count, gammaOffset, parameters.Length, $"A {kind} of {features} features", "parameters", nameof(gammaOffset));
        if (kind == Norm.BatchNorm)
            if (!ViewBounds.Fits(2L * features, statisticsOffset, statistics.Length))
                throw ViewBounds.OutsideBuffer(2L * features, statisticsOffset, statistics.Length, $"A BatchNorm of {features} features", "running statistics (mean, variance)", nameof(statisticsOffset));
        Name = name;
        Kind = kind;
        Features = features;
        _parameters = parameters;
        _gradients = gradients;
        _statistics = statistics;
        _gammaOffset = gammaOffset;
        _statisticsOffset = statisticsOffset;
    }

    /// <summary>The layer's name.</summary>
    public string Name { get; }

    /// <summary>The normalization kind.</summary>
    public Norm Kind { get; }

    /// <summary>The width normalized.</summary>
    public int Features { get; }

    /// <summary>The scale γ, <c>(Features)</c>, PyTorch's <c>weight</c>.</summary>
    public Span<T> Gamma => _parameters.AsSpan(_gammaOffset, Features);

    /// <summary>The shift β, <c>(Features)</c>, PyTorch's <c>bias</c>; empty for RMSNorm.</summary>
    public Span<T> Beta => Kind == Norm.RMSNorm ? Span<T>.Empty : _parameters.AsSpan(_gammaOffset + Features, Features);

    /// <summary><c>∂loss/∂γ</c> from the last backward pass.</summary>
    public Span<T> GammaGradient => _gradients.AsSpan(_gammaOffset, Features);

    /// <summary><c>∂loss/∂β</c> from the last backward pass; empty for RMSNorm.</summary>
    public Span<T> BetaGradient => Kind == Norm.RMSNorm ? Span<T>.Empty : _gradients.AsSpan(_gammaOffset + Features, Features);

    /// <summary>BatchNorm's running mean, <c>(Features)</c>; empty for the other kinds.</summary>
    public Span<T> RunningMean => Kind == Norm.BatchNorm ? _statistics.AsSpan(_statisticsOffset, Features) : Span<T>.Empty;

    /// <summary>BatchNorm's running (unbiased) variance, <c>(Features)</c>; empty for the other kinds.</summary>
    public Span<T> RunningVariance => Kind == Norm.BatchNorm ? _statistics.AsSpan(_statisticsOffset + Features, Features) : Span<T>.Empty;
}
