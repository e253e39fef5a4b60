using System;

namespace ChainRule;

/// <summary>
/// What <see cref="LstmLayer{T}"/>, <see cref="GruLayer{T}"/> and <see cref="RnnLayer{T}"/> view: one recurrent layer's
/// parameters in PyTorch's order, <c>weight_ih (G·H, F)</c>, <c>weight_hh (G·H, H)</c>, <c>bias_ih (G·H)</c>,
/// <c>bias_hh (G·H)</c>, contiguous from an offset, and the gradients at the same offsets.
/// </summary>
internal readonly struct RecurrentParameters<T>
{
    private readonly T[] _parameters;
    private readonly T[] _gradients;
    private readonly int _offset;
    private readonly int _gates;

    /// <summary>The views' constructor checks, then the view; <paramref name="kind"/> names the layer in messages.</summary>
    public RecurrentParameters(string name, T[] parameters, T[] gradients, int offset, int inputs, int hidden, bool bias, int gates, string kind, string offsetName)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ViewBounds.SameLength(parameters.Length, gradients.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        long count = Count(inputs, hidden, bias, gates);
        if (!ViewBounds.Fits(count, offset, parameters.Length))
            throw ViewBounds.OutsideBuffer(count, offset, parameters.Length, $"The {kind} layer ({inputs} → {hidden})", "parameters", offsetName);
        Name = name;
        _parameters = parameters;
        _gradients = gradients;
        _offset = offset;
        _gates = gates;
        Inputs = inputs;
        Hidden = hidden;
        HasBias = bias;
    }

    /// <summary>Elements of <c>W_ih</c>, <c>W_hh</c> and (with biases) both biases: <c>G·H·(F + H + 2)</c> or <c>G·H·(F + H)</c>.</summary>
    public static long Count(int inputs, int hidden, bool bias, int gates) => (long)gates * hidden * ((long)inputs + hidden + (bias ? 2 : 0));

    public string Name { get; }
    public int Inputs { get; }
    public int Hidden { get; }
    public bool HasBias { get; }

    private int Width => _gates * Hidden;
    private int BiasLength => HasBias ? Width : 0;
    private int WeightHHOffset => _offset + Width * Inputs;
    private int BiasIHOffset => WeightHHOffset + Width * Hidden;

    public Span<T> WeightIH(bool gradient) => (gradient ? _gradients : _parameters).AsSpan(_offset, Width * Inputs);
    public Span<T> WeightHH(bool gradient) => (gradient ? _gradients : _parameters).AsSpan(WeightHHOffset, Width * Hidden);
    public Span<T> BiasIH(bool gradient) => (gradient ? _gradients : _parameters).AsSpan(BiasIHOffset, BiasLength);
    public Span<T> BiasHH(bool gradient) => (gradient ? _gradients : _parameters).AsSpan(BiasIHOffset + BiasLength, BiasLength);
}
