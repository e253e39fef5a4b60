using System;

namespace ChainRule;

/// <summary>
/// Declares a <c>partial</c> class as a network. The ChainRule generator reads the layers declared on it
/// (partial properties carrying a layer attribute, in source order) and emits the model's forward pass,
/// backward pass, initialization and trainer as straight-line code with every size a constant.
/// </summary>
/// <example>
/// <code>
/// [Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
/// public partial class DigitClassifier
/// {
///     [Dense(128, Activation.ReLU)] public partial DenseLayer&lt;float&gt; Hidden { get; }
///     [Dense(10)]                   public partial DenseLayer&lt;float&gt; Logits { get; }
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>
    /// Number of input features per sample, or per step of a sequence model (<see cref="Steps"/> &gt; 0). Must be
    /// positive.
    /// </summary>
    public int Inputs { get; set; }

    /// <summary>
    /// The sequence length <c>T</c> of a sequence model; 0, the default, for a model that is not one. A sequence model
    /// reads each sample as <c>T</c> steps of <see cref="Inputs"/> features, batch-major <c>(batch, T, Inputs)</c> as
    /// PyTorch's <c>batch_first=True</c>, and its first layers are recurrent (<see cref="LstmAttribute"/>,
    /// <see cref="GruAttribute"/>, <see cref="RnnAttribute"/>). A recurrent layer returns every step's hidden state
    /// (<see cref="RecurrentAttribute.ReturnSequences"/>, to stack another recurrent layer or apply dense layers per
    /// step) or the last step's (for a classification or regression head).
    /// </summary>
    public int Steps { get; set; }

    /// <summary>The loss the trainer minimizes. Defaults to <see cref="ChainRule.Loss.SoftmaxCrossEntropy"/>.</summary>
    public Loss Loss { get; set; } = Loss.SoftmaxCrossEntropy;

    /// <summary>Element type of parameters, activations and gradients. Defaults to <see cref="ChainRule.Precision.Float"/>.</summary>
    public Precision Precision { get; set; } = Precision.Float;
}

/// <summary>
/// Declares a fully connected layer <c>y = act(x Wᵀ + b)</c> with <c>W</c> of shape <c>[units, inputs]</c>,
/// where <c>inputs</c> is the width of the previous layer (or of the network's input).
/// Put it on a <c>partial</c> property of type <see cref="DenseLayer{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a dense layer.</summary>
    /// <param name="units">Number of output units. Must be positive.</param>
    /// <param name="activation">Activation applied to the layer's output.</param>
    public DenseAttribute(int units, Activation activation = Activation.Identity)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>Number of output units.</summary>
    public int Units { get; }

    /// <summary>Activation applied to the layer's output.</summary>
    public Activation Activation { get; }

    /// <summary>
    /// Weight initialization. <see cref="ChainRule.Init.Default"/> picks by activation:
    /// He normal for ReLU, LeakyReLU, GELU and SiLU; Xavier normal for Sigmoid, Tanh and Identity.
    /// </summary>
    public Init Init { get; set; } = Init.Default;

    /// <summary>
    /// Whether the layer adds a learnable bias <c>b</c> (PyTorch's <c>nn.Linear(bias=…)</c>); default <c>true</c>.
    /// With <c>false</c> the layer computes <c>y = act(x Wᵀ)</c> and has no bias parameter, gradient, optimizer state
    /// or checkpoint tensor: right before a <c>[BatchNorm]</c>, whose β takes over the bias's role (CR0023).
    /// </summary>
    public bool Bias { get; set; } = true;
}

/// <summary>Element type of a network's parameters, activations and gradients.</summary>
public enum Precision
{
    /// <summary>32-bit <see cref="float"/>: the default, for training and deployment.</summary>
    Float = 0,
    /// <summary>64-bit <see cref="double"/>: for gradient checks and numerically demanding work.</summary>
    Double = 1,
}

/// <summary>Elementwise activation functions, with PyTorch's definitions.</summary>
public enum Activation
{
    /// <summary><c>f(x) = x</c>.</summary>
    Identity = 0,
    /// <summary><c>f(x) = 1 / (1 + e^-x)</c>.</summary>
    Sigmoid = 1,
    /// <summary><c>f(x) = tanh(x)</c>.</summary>
    Tanh = 2,
    /// <summary><c>f(x) = max(x, 0)</c>.</summary>
    ReLU = 3,
    /// <summary><c>f(x) = x</c> for <c>x &gt; 0</c>, else <c>0.01·x</c>.</summary>
    LeakyReLU = 4,
    /// <summary><c>f(x) = x·Φ(x) = x/2·(1 + erf(x/√2))</c>, the exact form.</summary>
    Gelu = 5,
    /// <summary><c>f(x) = x·sigmoid(x)</c>.</summary>
    Silu = 6,
}

/// <summary>Losses the trainer can minimize, each averaged over the batch as PyTorch's <c>reduction='mean'</c>.</summary>
public enum Loss
{
    /// <summary>
    /// <c>−log softmax(z)[label]</c> averaged over the batch; targets are class indices.
    /// Softmax and cross-entropy are fused and computed stably (maximum subtracted first).
    /// </summary>
    SoftmaxCrossEntropy = 0,
    /// <summary><c>(y − t)²</c> averaged over every element.</summary>
    MeanSquaredError = 1,
    /// <summary><c>max(z,0) − z·t + log(1 + e^−|z|)</c> averaged over every element; the output is a logit.</summary>
    BinaryCrossEntropyWithLogits = 2,
}

/// <summary>Weight initialization schemes; biases always start at 0.</summary>
public enum Init
{
    /// <summary>Chosen by the layer's activation: He for ReLU-like, Xavier for Sigmoid, Tanh and Identity.</summary>
    Default = 0,
    /// <summary>He/Kaiming normal: <c>N(0, 2/fan_in)</c>.</summary>
    HeNormal = 1,
    /// <summary>He/Kaiming uniform: <c>U(±√(6/fan_in))</c>.</summary>
    HeUniform = 2,
    /// <summary>Xavier/Glorot normal: <c>N(0, 2/(fan_in+fan_out))</c>.</summary>
    XavierNormal = 3,
    /// <summary>Xavier/Glorot uniform: <c>U(±√(6/(fan_in+fan_out)))</c>.</summary>
    XavierUniform = 4,
    /// <summary>LeCun normal: <c>N(0, 1/fan_in)</c>.</summary>
    LeCunNormal = 5,
    /// <summary>LeCun uniform: <c>U(±√(3/fan_in))</c>.</summary>
    LeCunUniform = 6,
    /// <summary>A (semi-)orthogonal matrix with gain 1, as <c>torch.nn.init.orthogonal_</c>.</summary>
    Orthogonal = 7,
    /// <summary>
    /// All weights 0. Declaring it is a compile error (CR0007): every unit of a layer would compute the same
    /// function and receive the same gradient, so the units never become different.
    /// </summary>
    Zeros = 8,
}

/// <summary>Normalization kinds, with PyTorch's definitions.</summary>
public enum Norm
{
    /// <summary>Per sample over features: <c>(x − mean)/√(var + ε)·γ + β</c>, biased variance, ε = 1e-5.</summary>
    LayerNorm = 0,
    /// <summary>Per sample: <c>x/√(mean(x²) + ε)·γ</c>, no mean subtraction, ε = 1e-6.</summary>
    RMSNorm = 1,
    /// <summary>
    /// Per feature over the batch while training (running statistics updated with momentum 0.1 and the unbiased
    /// variance); running statistics when predicting. ε = 1e-5.
    /// </summary>
    BatchNorm = 2,
}

/// <summary>Where a residual block normalizes.</summary>
public enum NormPlacement
{
    /// <summary>Pre-norm, <c>x + F(Norm(x))</c>: the skip path is an identity from output to input, which keeps deep stacks trainable.</summary>
    Pre = 0,
    /// <summary>Post-norm, <c>Norm(x + F(x))</c>, as the original Transformer.</summary>
    Post = 1,
}

/// <summary>Options shared by the normalization attributes.</summary>
public abstract class NormAttribute : Attribute
{
    private protected NormAttribute()
    {
    }

    /// <summary>The ε added to the variance (or mean square); 0 selects the kind's default (1e-5, or 1e-6 for RMSNorm).</summary>
    public double Epsilon { get; set; }

    /// <summary>
    /// The width normalized, when you want the compiler to check it: it must equal the previous layer's output
    /// width (CR0010 otherwise). 0, the default, takes the previous layer's width.
    /// </summary>
    public int Features { get; set; }
}

/// <summary>
/// Layer normalization over the previous layer's output, <c>y = (x − mean)/√(var + ε)·γ + β</c> per sample with
/// learnable γ (initialized to 1) and β (0). Put it on a <c>partial</c> property of type <see cref="NormLayer{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LayerNormAttribute : NormAttribute
{
}

/// <summary>
/// RMS normalization, <c>y = x/√(mean(x²) + ε)·γ</c> per sample with learnable γ (initialized to 1).
/// Put it on a <c>partial</c> property of type <see cref="NormLayer{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class RMSNormAttribute : NormAttribute
{
}

/// <summary>
/// Batch normalization per feature, with learnable γ (1) and β (0) and running statistics (mean 0, variance 1).
/// The trainer normalizes with the batch's statistics and updates the running ones; <c>Predict</c> and
/// <c>Evaluate</c> use the running ones. Training batches need at least 2 rows.
/// Put it on a <c>partial</c> property of type <see cref="NormLayer{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchNormAttribute : NormAttribute
{
}

/// <summary>
/// Declares <see cref="Repeat"/> residual blocks whose branch is <c>F = Dense(width→Hidden, activation) →
/// Dense(Hidden→width)</c> with a normalization: pre-norm <c>x + α·F(Norm(x))</c> by default or post-norm
/// <c>Norm(x + α·F(x))</c>, where α is 1, or a learnable scalar initialized to 0 with <see cref="ReZero"/>.
/// The residual add and the next normalization run as one fused kernel. The generator unrolls every block with
/// its own parameters. Put it on a <c>partial</c> property of type <see cref="ResidualStack{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ResidualAttribute : Attribute
{
    /// <summary>Declares a stack of residual blocks.</summary>
    /// <param name="norm">The normalization in each block.</param>
    /// <param name="activation">The activation between the branch's two dense layers.</param>
    public ResidualAttribute(Norm norm, Activation activation)
    {
        Norm = norm;
        Activation = activation;
    }

    /// <summary>The normalization in each block.</summary>
    public Norm Norm { get; }

    /// <summary>The activation between the branch's two dense layers.</summary>
    public Activation Activation { get; }

    /// <summary>Number of blocks, each with its own parameters. Defaults to 1.</summary>
    public int Repeat { get; set; } = 1;

    /// <summary>Width of the branch's hidden layer; 0, the default, uses the block's width.</summary>
    public int Hidden { get; set; }

    /// <summary>
    /// The block's width, when you want the compiler to check it: it must equal the previous layer's output width
    /// (CR0010 otherwise), since the skip path adds the input to the branch's output. 0 takes the previous width.
    /// </summary>
    public int Width { get; set; }

    /// <summary>Pre-norm (the default) or post-norm.</summary>
    public NormPlacement Placement { get; set; } = NormPlacement.Pre;

    /// <summary>Scales each branch by a learnable α initialized to 0 (ReZero/SkipInit), so every block starts as the identity.</summary>
    public bool ReZero { get; set; }

    /// <summary>The normalization's ε; 0 selects the kind's default.</summary>
    public double Epsilon { get; set; }
}

/// <summary>Options shared by the recurrent layer attributes: PyTorch's definitions, initial state zero.</summary>
public abstract class RecurrentAttribute : Attribute
{
    private protected RecurrentAttribute(int hidden) => Hidden = hidden;

    /// <summary>Hidden width <c>H</c>: the size of the state and of each step's output. Must be positive.</summary>
    public int Hidden { get; }

    /// <summary>
    /// Whether the layer outputs every step's hidden state, <c>(batch, T, H)</c>, rather than the last step's,
    /// <c>(batch, H)</c> (the default, <c>false</c>, is PyTorch's <c>output[:, -1]</c>). Layers after one that returns
    /// every step see a sequence: a recurrent layer reads it as its input, a dense layer applies to each step.
    /// </summary>
    public bool ReturnSequences { get; set; }

    /// <summary>
    /// Truncated backpropagation through time: with <c>K</c> &gt; 0, the gradient flows through the recurrence for the
    /// last <c>K</c> steps only, as PyTorch computes it when the state is detached before step <c>T − K</c>
    /// (<c>h.detach()</c>, and <c>c.detach()</c> for an LSTM); outputs of earlier steps still send their gradients
    /// back through the steps before them. 0, the default, or <c>K ≥ T</c> is full BPTT.
    /// </summary>
    public int Truncate { get; set; }

    /// <summary>
    /// Initialization of the recurrent weight <c>W_hh</c>: <see cref="Init.Default"/> is PyTorch's <c>U(±1/√H)</c>, the
    /// draw every weight and bias of the layer gets; <see cref="Init.Orthogonal"/> makes each gate's <c>(H, H)</c> block
    /// orthogonal, so that at the start no gate's recurrence grows or shrinks the state from step to step.
    /// </summary>
    public Init RecurrentInit { get; set; } = Init.Default;
}

/// <summary>
/// A one-layer LSTM as PyTorch's <c>nn.LSTM(batch_first=True)</c>: gates i, f, g, o; <c>c_t = f ⊙ c_{t−1} + i ⊙ g</c>,
/// <c>h_t = o ⊙ tanh(c_t)</c>; parameters <c>weight_ih_l0 (4H, F)</c>, <c>weight_hh_l0 (4H, H)</c>, <c>bias_ih_l0</c>,
/// <c>bias_hh_l0 (4H)</c>, so weights move between the two unchanged. Its gated cell carries the gradient across many
/// steps without vanishing. Put it on a <c>partial</c> property of type <see cref="RecurrentLayer{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LstmAttribute : RecurrentAttribute
{
    /// <summary>Declares an LSTM layer.</summary>
    /// <param name="hidden">Hidden width <c>H</c>. Must be positive.</param>
    public LstmAttribute(int hidden)
        : base(hidden)
    {
    }

    /// <summary>
    /// The forget gate's initial bias: a non-zero value sets the gate's total bias (<c>b_ih</c>'s f block to the value,
    /// <c>b_hh</c>'s to 0); 1 is the common choice (Jozefowicz et al. 2015), so the cell keeps its state until the
    /// network learns to forget. 0, the default, keeps PyTorch's <c>U(±1/√H)</c> draw.
    /// </summary>
    public double ForgetBias { get; set; }
}

/// <summary>
/// A one-layer GRU as PyTorch's <c>nn.GRU(batch_first=True)</c>: gates r, z, n;
/// <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))</c>, <c>h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}</c>; parameters
/// <c>weight_ih_l0 (3H, F)</c>, <c>weight_hh_l0 (3H, H)</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0 (3H)</c>.
/// Put it on a <c>partial</c> property of type <see cref="RecurrentLayer{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GruAttribute : RecurrentAttribute
{
    /// <summary>Declares a GRU layer.</summary>
    /// <param name="hidden">Hidden width <c>H</c>. Must be positive.</param>
    public GruAttribute(int hidden)
        : base(hidden)
    {
    }
}

/// <summary>
/// A one-layer Elman RNN as PyTorch's <c>nn.RNN(batch_first=True)</c>: <c>h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)</c>
/// with <c>act</c> tanh or ReLU; parameters <c>weight_ih_l0 (H, F)</c>, <c>weight_hh_l0 (H, H)</c>, <c>bias_ih_l0</c>,
/// <c>bias_hh_l0 (H)</c>. The counter-example: its gradient through time is a product of one Jacobian per step, and
/// vanishes or explodes over long sequences. Put it on a <c>partial</c> property of type <see cref="RecurrentLayer{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class RnnAttribute : RecurrentAttribute
{
    /// <summary>Declares an RNN layer.</summary>
    /// <param name="hidden">Hidden width <c>H</c>. Must be positive.</param>
    /// <param name="activation">The nonlinearity: <see cref="Activation.Tanh"/> (the default) or <see cref="Activation.ReLU"/>, the two PyTorch allows.</param>
    public RnnAttribute(int hidden, Activation activation = Activation.Tanh)
        : base(hidden)
        => Activation = activation;

    /// <summary>The nonlinearity, <see cref="Activation.Tanh"/> or <see cref="Activation.ReLU"/>.</summary>
    public Activation Activation { get; }
}

