using System;

namespace ChainRule;

/// <summary>
/// A typed view of one recurrent layer's parameters and gradients inside a model's contiguous buffers, in PyTorch's
/// order and layout: <c>weight_ih_l0 (G·H, F)</c>, <c>weight_hh_l0 (G·H, H)</c>, <c>bias_ih_l0 (G·H)</c>,
/// <c>bias_hh_l0 (G·H)</c>, one after another from the layer's offset, with <c>G</c> gate blocks of <c>H</c> rows:
/// 4 for <c>[Lstm]</c> (i, f, g, o, as <c>nn.LSTM</c>), 3 for <c>[Gru]</c> (r, z, n, as <c>nn.GRU</c>), 1 for <c>[Rnn]</c>.
/// The generator implements each recurrent partial property by returning one of these; it holds no data of its own, so
/// reading it allocates nothing.
/// </summary>
/// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct RecurrentLayer<T>
{
    private readonly T[] _parameters;
    private readonly T[] _gradients;
    private readonly int _offset;

    /// <summary>Creates a view of the layer whose <c>weight_ih</c> starts at <paramref name="offset"/>, the other tensors right after.</summary>
    /// <param name="name">The declared property name.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="gradients">The model's gradient buffer, laid out like <paramref name="parameters"/>.</param>
    /// <param name="offset">Offset of <c>W_ih[0, 0]</c> in both buffers.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="gates">Gate blocks <c>G</c>: 4 (LSTM), 3 (GRU) or 1 (RNN).</param>
    /// <param name="bias">Whether the layer has <c>b_ih</c> and <c>b_hh</c> (PyTorch's <c>bias=True</c>).</param>
    /// <exception cref="ArgumentNullException">A name or buffer is null.</exception>
    /// <exception cref="ArgumentException">The buffers' lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size is not positive, <paramref name="gates"/> is not 4, 3 or 1, or the layer does not lie inside the buffers
    /// at <paramref name="offset"/>.
    /// </exception>
    public RecurrentLayer(string name, T[] parameters, T[] gradients, int offset, int inputs, int hidden, int gates, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ViewBounds.SameLength(parameters.Length, gradients.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        string kind = gates switch
        {
            4 => "LSTM",
            3 => "GRU",
            1 => "RNN",
            _ => throw new ArgumentOutOfRangeException(nameof(gates), gates, "A recurrent layer has 4 gate blocks (LSTM), 3 (GRU) or 1 (RNN)."),
        };
        long count = (long)gates * hidden * ((long)inputs + hidden + (bias ? 2 : 0));
        if (!ViewBounds.Fits(count, offset, parameters.Length))
            throw ViewBounds.OutsideBuffer(count, offset, parameters.Length, $"The {kind} layer ({inputs} → {hidden})", "parameters", nameof(offset));
        Name = name;
        _parameters = parameters;
        _gradients = gradients;
        _offset = offset;
        Inputs = inputs;
        Hidden = hidden;
        Gates = gates;
        HasBias = bias;
    }

    /// <summary>The declared property name.</summary>
    public string Name { get; }

    /// <summary>Features per step <c>F</c>.</summary>
    public int Inputs { get; }

    /// <summary>Hidden width <c>H</c>.</summary>
    public int Hidden { get; }

    /// <summary>Gate blocks <c>G</c> of <c>H</c> rows in each weight and bias: 4 (LSTM), 3 (GRU) or 1 (RNN).</summary>
    public int Gates { get; }

    /// <summary>Whether the layer has biases; without, <see cref="BiasIH"/>, <see cref="BiasHH"/> and their gradients are empty.</summary>
    public bool HasBias { get; }

    private int Width => Gates * Hidden;

    private int BiasLength => HasBias ? Width : 0;

    private int WeightHHOffset => _offset + Width * Inputs;

    private int BiasIHOffset => WeightHHOffset + Width * Hidden;

    /// <summary><c>W_ih</c> (<c>weight_ih_l0</c>), row-major <c>(G·H, F)</c>, rows in gate order.</summary>
    public Span<T> WeightIH => _parameters.AsSpan(_offset, Width * Inputs);

    /// <summary><c>W_hh</c> (<c>weight_hh_l0</c>), row-major <c>(G·H, H)</c>, rows in gate order.</summary>
    public Span<T> WeightHH => _parameters.AsSpan(WeightHHOffset, Width * Hidden);

    /// <summary><c>b_ih</c> (<c>bias_ih_l0</c>), <c>(G·H)</c>; empty without biases.</summary>
    public Span<T> BiasIH => _parameters.AsSpan(BiasIHOffset, BiasLength);

    /// <summary><c>b_hh</c> (<c>bias_hh_l0</c>), <c>(G·H)</c>; empty without biases.</summary>
    public Span<T> BiasHH => _parameters.AsSpan(BiasIHOffset + BiasLength, BiasLength);

    /// <summary><c>∂loss/∂W_ih</c> from the last backward pass, <c>(G·H, F)</c>.</summary>
    public Span<T> WeightIHGradient => _gradients.AsSpan(_offset, Width * Inputs);

    /// <summary><c>∂loss/∂W_hh</c> from the last backward pass, <c>(G·H, H)</c>.</summary>
    public Span<T> WeightHHGradient => _gradients.AsSpan(WeightHHOffset, Width * Hidden);

    /// <summary><c>∂loss/∂b_ih</c> from the last backward pass, <c>(G·H)</c>; empty without biases.</summary>
    public Span<T> BiasIHGradient => _gradients.AsSpan(BiasIHOffset, BiasLength);

    /// <summary><c>∂loss/∂b_hh</c> from the last backward pass, <c>(G·H)</c>; empty without biases.</summary>
    public Span<T> BiasHHGradient => _gradients.AsSpan(BiasIHOffset + BiasLength, BiasLength);
}
