using System;

namespace ChainRule;

/// <summary>
/// A typed view of one LSTM layer's parameters and gradients inside a model's contiguous buffers, in PyTorch's
/// <c>nn.LSTM</c> order and layout: <c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, one after
/// another from the layer's offset. The generator implements each <c>[Lstm]</c> partial property by returning one of these;
/// it holds no data of its own, so reading it allocates nothing.
/// </summary>
/// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct LstmLayer<T>
{
    private readonly RecurrentParameters<T> _view;

    /// <summary>Creates a view of the layer whose <c>weight_ih</c> starts at <paramref name="offset"/>, the other tensors right after.</summary>
    /// <param name="name">The declared property name.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="gradients">The model's gradient buffer, laid out like <paramref name="parameters"/>.</param>
    /// <param name="offset">Offset of <c>W_ih[0, 0]</c> in both buffers.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <exception cref="ArgumentNullException">A name or buffer is null.</exception>
    /// <exception cref="ArgumentException">The buffers' lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the layer does not lie inside the buffers at <paramref name="offset"/>.</exception>
    public LstmLayer(string name, T[] parameters, T[] gradients, int offset, int inputs, int hidden)
        : this(name, parameters, gradients, offset, inputs, hidden, bias: true)
    {
    }

    /// <summary>
    /// Creates a view of the layer whose <c>weight_ih</c> starts at <paramref name="offset"/>, <c>weight_hh</c> and (if it
    /// has them, <paramref name="bias"/>) the biases right after.
    /// </summary>
    /// <param name="name">The declared property name.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="gradients">The model's gradient buffer, laid out like <paramref name="parameters"/>.</param>
    /// <param name="offset">Offset of <c>W_ih[0, 0]</c> in both buffers.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="bias">Whether the layer has <c>b_ih</c> and <c>b_hh</c> (PyTorch's <c>bias=True</c>).</param>
    /// <exception cref="ArgumentNullException">A name or buffer is null.</exception>
    /// <exception cref="ArgumentException">The buffers' lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the layer does not lie inside the buffers at <paramref name="offset"/>.</exception>
    public LstmLayer(string name, T[] parameters, T[] gradients, int offset, int inputs, int hidden, bool bias)
        => _view = new RecurrentParameters<T>(name, parameters, gradients, offset, inputs, hidden, bias, Gates, "LSTM", nameof(offset));

    /// <summary>Gate blocks of <c>H</c> rows in each weight and bias: 4 (i, f, g, o).</summary>
    public const int Gates = 4;

    /// <summary>The declared property name.</summary>
    public string Name => _view.Name;

    /// <summary>Features per step <c>F</c>.</summary>
    public int Inputs => _view.Inputs;

    /// <summary>Hidden width <c>H</c>.</summary>
    public int Hidden => _view.Hidden;

    /// <summary>Whether the layer has biases; without, <see cref="BiasIH"/>, <see cref="BiasHH"/> and their gradients are empty.</summary>
    public bool HasBias => _view.HasBias;

    /// <summary><c>W_ih</c> (<c>weight_ih_l0</c>), row-major <c>(4H, F)</c>, rows in gate order i, f, g, o.</summary>
    public Span<T> WeightIH => _view.WeightIH(gradient: false);

    /// <summary><c>W_hh</c> (<c>weight_hh_l0</c>), row-major <c>(4H, H)</c>.</summary>
    public Span<T> WeightHH => _view.WeightHH(gradient: false);

    /// <summary><c>b_ih</c> (<c>bias_ih_l0</c>), <c>(4H)</c>; empty without biases.</summary>
    public Span<T> BiasIH => _view.BiasIH(gradient: false);

    /// <summary><c>b_hh</c> (<c>bias_hh_l0</c>), <c>(4H)</c>; empty without biases.</summary>
    public Span<T> BiasHH => _view.BiasHH(gradient: false);

    /// <summary><c>∂loss/∂W_ih</c> from the last backward pass, <c>(4H, F)</c>.</summary>
    public Span<T> WeightIHGradient => _view.WeightIH(gradient: true);

    /// <summary><c>∂loss/∂W_hh</c> from the last backward pass, <c>(4H, H)</c>.</summary>
    public Span<T> WeightHHGradient => _view.WeightHH(gradient: true);

    /// <summary><c>∂loss/∂b_ih</c> from the last backward pass, <c>(4H)</c>; empty without biases.</summary>
    public Span<T> BiasIHGradient => _view.BiasIH(gradient: true);

    /// <summary><c>∂loss/∂b_hh</c> from the last backward pass, <c>(4H)</c>; empty without biases.</summary>
    public Span<T> BiasHHGradient => _view.BiasHH(gradient: true);
}
