using System;
using System.Numerics;

namespace ChainRule.Training;

/// <summary>
/// Weight initialization for a layer whose weight is <c>(outputs, inputs)</c>, so <c>fan_in = inputs</c> and
/// <c>fan_out = outputs</c>, with PyTorch's definitions (<c>torch.nn.init</c>, gain 1 for the normal and uniform
/// schemes' stated variances). Biases are not initialized here: they start at 0. Recurrent layers, whose default
/// (PyTorch's) draws biases too, have <see cref="FillRecurrent"/>.
/// </summary>
public static class Initializers
{
    /// <summary>
    /// The scheme <see cref="Init.Default"/> stands for: He normal for ReLU, LeakyReLU, GELU and SiLU (they halve the
    /// variance, roughly); Xavier normal for Sigmoid, Tanh and Identity (linear near 0).
    /// </summary>
    /// <param name="activation">The layer's activation.</param>
    /// <returns><see cref="Init.HeNormal"/> or <see cref="Init.XavierNormal"/>.</returns>
    public static Init DefaultFor(Activation activation) => activation switch
    {
        Activation.ReLU or Activation.LeakyReLU or Activation.Gelu or Activation.Silu => Init.HeNormal,
        Activation.Sigmoid or Activation.Tanh or Activation.Identity => Init.XavierNormal,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>
    /// Fills <paramref name="weight"/>, shape <c>(outputs, inputs)</c>, by <paramref name="scheme"/>:
    /// He normal <c>N(0, 2/fan_in)</c>, He uniform <c>U(±√(6/fan_in))</c>, Xavier normal <c>N(0, 2/(fan_in+fan_out))</c>,
    /// Xavier uniform <c>U(±√(6/(fan_in+fan_out)))</c>, LeCun normal <c>N(0, 1/fan_in)</c>, LeCun uniform
    /// <c>U(±√(3/fan_in))</c>, or orthogonal (rows orthonormal when <c>outputs ≤ inputs</c>, else columns).
    /// </summary>
    /// <param name="weight">The weight, row-major <c>(outputs, inputs)</c>.</param>
    /// <param name="inputs"><c>fan_in</c>.</param>
    /// <param name="outputs"><c>fan_out</c>.</param>
    /// <param name="scheme">A concrete scheme; <see cref="Init.Default"/> and <see cref="Init.Zeros"/> are rejected.</param>
    /// <param name="random">The layer's stream; advanced by the values drawn.</param>
    /// <exception cref="ArgumentException"><see cref="Init.Default"/> (resolve it with <see cref="DefaultFor"/>) or <see cref="Init.Zeros"/>.</exception>
    public static void Fill<T>(Span<T> weight, int inputs, int outputs, Init scheme, ref DeterministicRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        Kernels.Gemm.CheckLength(weight.Length, outputs, inputs, nameof(weight), "(outputs, inputs)");
        double fanIn = inputs, fanOut = outputs;
        switch (scheme)
        {
            case Init.HeNormal: Normal(weight, Math.Sqrt(2.0 / fanIn), ref random); break;
            case Init.HeUniform: Uniform(weight, Math.Sqrt(6.0 / fanIn), ref random); break;
            case Init.XavierNormal: Normal(weight, Math.Sqrt(2.0 / (fanIn + fanOut)), ref random); break;
            case Init.XavierUniform: Uniform(weight, Math.Sqrt(6.0 / (fanIn + fanOut)), ref random); break;
            case Init.LeCunNormal: Normal(weight, Math.Sqrt(1.0 / fanIn), ref random); break;
            case Init.LeCunUniform: Uniform(weight, Math.Sqrt(3.0 / fanIn), ref random); break;
            case Init.Orthogonal: Orthogonal(weight, inputs, outputs, ref random); break;
            case Init.Default:
                throw new ArgumentException("Init.Default is not a scheme: resolve it with Initializers.DefaultFor(activation) first.", nameof(scheme));
            case Init.Zeros:
                throw new ArgumentException("Init.Zeros would give every unit the same function and gradient (the symmetry problem); use a random scheme.", nameof(scheme));
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown initialization scheme.");
        }
    }

    /// <summary>
    /// Initializes one recurrent layer's parameters in PyTorch's layout (<c>weight_ih (G·H, F)</c>,
    /// <c>weight_hh (G·H, H)</c>, <c>bias_ih</c>, <c>bias_hh</c> <c>(G·H)</c>, <c>G</c> = 4 for an LSTM, 3 for a GRU, 1
    /// for an RNN), drawn in that order from <paramref name="random"/>: by default every one <c>U(−1/√H, 1/√H)</c>, as
    /// <c>nn.LSTM</c>, <c>nn.GRU</c> and <c>nn.RNN</c> initialize theirs. <paramref name="recurrentInit"/> other than
    /// <see cref="Init.Default"/> fills each gate's <c>(H, H)</c> block of <c>weight_hh</c> by that scheme instead
    /// (<see cref="Init.Orthogonal"/>: each block orthogonal, so no gate's recurrence grows or shrinks a state at the
    /// start). A non-zero <paramref name="forgetBias"/> (LSTM only) sets the forget gate's block of <c>bias_ih</c> to it
    /// and that of <c>bias_hh</c> to 0, so the gate's total bias is exactly that value (1 in Jozefowicz et al. 2015:
    /// the cell keeps its state until the network learns to forget).
    /// </summary>
    /// <param name="weightIH"><c>W_ih</c>, <c>(G·H, F)</c>.</param>
    /// <param name="weightHH"><c>W_hh</c>, <c>(G·H, H)</c>.</param>
    /// <param name="biasIH"><c>b_ih</c>, <c>(G·H)</c>, or empty for a layer without biases.</param>
    /// <param name="biasHH"><c>b_hh</c>, <c>(G·H)</c>, or empty for a layer without biases.</param>
    /// <param name="inputs">Features per step <c>F</c>.</param>
    /// <param name="hidden">Hidden width <c>H</c>.</param>
    /// <param name="gates">Gate blocks <c>G</c>: 4 (LSTM, i f g o), 3 (GRU, r z n) or 1 (RNN).</param>
    /// <param name="recurrentInit"><see cref="Init.Default"/> for PyTorch's uniform draw, or a scheme for each block of <c>W_hh</c>.</param>
    /// <param name="forgetBias">The LSTM forget gate's bias; 0 keeps PyTorch's uniform draw.</param>
    /// <param name="random">The layer's stream; advanced by the values drawn.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, <paramref name="recurrentInit"/> is <see cref="Init.Zeros"/>, or a forget bias is given for a layer that is not an LSTM or has no biases.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or <paramref name="gates"/> is not 1, 3 or 4.</exception>
    public static void FillRecurrent<T>(Span<T> weightIH, Span<T> weightHH, Span<T> biasIH, Span<T> biasHH, int inputs, int hidden, int gates,
        Init recurrentInit, double forgetBias, ref DeterministicRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        if (gates is not (1 or 3 or 4))
            throw new ArgumentOutOfRangeException(nameof(gates), gates, "A recurrent layer has 4 gate blocks (LSTM), 3 (GRU) or 1 (RNN).");
        int width = gates * hidden;
        Kernels.Gemm.CheckLength(weightIH.Length, width, inputs, nameof(weightIH), "(gates·hidden, inputs)");
        Kernels.Gemm.CheckLength(weightHH.Length, width, hidden, nameof(weightHH), "(gates·hidden, hidden)");
        if (biasIH.Length != 0 || biasHH.Length != 0)
        {
            Kernels.Gemm.CheckLength(biasIH.Length, 1, width, nameof(biasIH), "(1, gates·hidden)");
            Kernels.Gemm.CheckLength(biasHH.Length, 1, width, nameof(biasHH), "(1, gates·hidden)");
        }
        if (forgetBias != 0 && (gates != 4 || biasIH.IsEmpty))
            throw new ArgumentException("A forget-gate bias needs an LSTM with biases: only its gate block f (rows H … 2H) has one.", nameof(forgetBias));
        if (!double.IsFinite(forgetBias))
            throw new ArgumentException($"The forget-gate bias is {forgetBias}; it must be finite.", nameof(forgetBias));
        if (recurrentInit == Init.Zeros)
            throw new ArgumentException("Init.Zeros would give every unit the same function and gradient (the symmetry problem); use a random scheme.", nameof(recurrentInit));

        double bound = 1 / Math.Sqrt(hidden);
        Uniform(weightIH, bound, ref random);
        if (recurrentInit == Init.Default)
        {
            Uniform(weightHH, bound, ref random);
        }
        else
        {
            for (int gate = 0; gate < gates; gate++)
                Fill(weightHH.Slice(gate * hidden * hidden, hidden * hidden), hidden, hidden, recurrentInit, ref random);
        }
        Uniform(biasIH, bound, ref random);
        Uniform(biasHH, bound, ref random);
        if (forgetBias != 0)
        {
            biasIH.Slice(hidden, hidden).Fill(T.CreateTruncating(forgetBias));
            biasHH.Slice(hidden, hidden).Clear();
        }
    }

    private static void Normal<T>(Span<T> weight, double std, ref DeterministicRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < weight.Length; i++)
            weight[i] = T.CreateTruncating(std * random.NextNormal());
    }

    private static void Uniform<T>(Span<T> weight, double bound, ref DeterministicRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < weight.Length; i++)
            weight[i] = T.CreateTruncating(bound * (2.0 * random.NextDouble() - 1.0));
    }

    /// <summary>
    /// As <c>torch.nn.init.orthogonal_</c>: draw a normal matrix <c>A</c> of shape <c>(max, min)</c> of
    /// <c>(outputs, inputs)</c>, factor <c>A = QR</c> with <c>R</c>'s diagonal positive (modified Gram–Schmidt in
    /// double gives that directly, which is torch's sign correction), and use <c>Q</c>, transposed when
    /// <c>outputs &lt; inputs</c>. So <c>W Wᵀ = I</c> when <c>outputs ≤ inputs</c>, else <c>Wᵀ W = I</c>.
    /// </summary>
    private static void Orthogonal<T>(Span<T> weight, int inputs, int outputs, ref DeterministicRandom random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = Math.Max(inputs, outputs), columns = Math.Min(inputs, outputs);
        var q = new double[rows * columns]; // row-major (rows, columns); Gram–Schmidt runs over its columns
        for (int i = 0; i < q.Length; i++)
            q[i] = random.NextNormal();
        for (int j = 0; j < columns; j++)
        {
            for (int previous = 0; previous < j; previous++)
            {
                double dot = 0;
                for (int r = 0; r < rows; r++) dot += q[r * columns + previous] * q[r * columns + j];
                for (int r = 0; r < rows; r++) q[r * columns + j] -= dot * q[r * columns + previous];
            }
            double norm = 0;
            for (int r = 0; r < rows; r++) norm += q[r * columns + j] * q[r * columns + j];
            norm = Math.Sqrt(norm);
            if (!(norm > 1e-12))
                throw new InvalidOperationException("Orthogonal initialization drew a rank-deficient matrix; use another seed.");
            for (int r = 0; r < rows; r++) q[r * columns + j] /= norm;
        }

        if (outputs >= inputs)
        {
            for (int i = 0; i < q.Length; i++) weight[i] = T.CreateTruncating(q[i]); // (outputs, inputs) = (rows, columns)
        }
        else
        {
            for (int o = 0; o < outputs; o++)
                for (int i = 0; i < inputs; i++)
                    weight[o * inputs + i] = T.CreateTruncating(q[i * columns + o]); // Qᵀ
        }
    }
}
