namespace ChainRule.Benchmarks;

/// <summary>W1 (train step, batch 128) and W3 (<c>Predict</c>, batch 1): MLP 784-256-256-10, ReLU, He init, softmax-CE.</summary>
[Network(Inputs = 784, Loss = Loss.SoftmaxCrossEntropy)]
public partial class W1Mlp
{
    [Dense(256, Activation.ReLU, Init = Init.HeNormal)] public partial DenseLayer<float> Hidden1 { get; }
    [Dense(256, Activation.ReLU, Init = Init.HeNormal)] public partial DenseLayer<float> Hidden2 { get; }
    [Dense(10, Init = Init.HeNormal)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>W2: 256 → Dense 256 → 20 × pre-LN residual [LayerNorm → Dense 256 GELU → Dense 256] → Dense 10, softmax-CE.</summary>
[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]
public partial class W2Residual
{
    [Dense(256)] public partial DenseLayer<float> Stem { get; }
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 20)] public partial ResidualStack<float> Blocks { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>W4: MLP 1024-1024-1024-10, ReLU, He init, softmax-CE.</summary>
[Network(Inputs = 1024, Loss = Loss.SoftmaxCrossEntropy)]
public partial class W4Mlp
{
    [Dense(1024, Activation.ReLU, Init = Init.HeNormal)] public partial DenseLayer<float> Hidden1 { get; }
    [Dense(1024, Activation.ReLU, Init = Init.HeNormal)] public partial DenseLayer<float> Hidden2 { get; }
    [Dense(10, Init = Init.HeNormal)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>
/// FLOPs per call, counted from the model shapes as 2·M·N·K for every matrix product the generated code runs.
/// A dense layer (in → out) at batch B runs the forward <c>y = x Wᵀ</c> (2·B·in·out), the weight gradient
/// <c>dW += dyᵀ x</c> (2·B·in·out) and, except for the first layer (whose input needs no gradient), the input
/// gradient <c>dx = dy W</c> (2·B·in·out). Elementwise work (activations, norms, loss, optimizer) is not counted.
/// </summary>
public static class WorkloadFlops
{
    /// <summary>2·B·in·out.</summary>
    public static long Product(long batch, long inputs, long outputs) => 2 * batch * inputs * outputs;

    /// <summary>Forward + weight gradient for every layer, input gradient for all but the first.</summary>
    public static long TrainStep(long batch, params (long Inputs, long Outputs)[] layers)
    {
        long flops = 0;
        for (int l = 0; l < layers.Length; l++)
            flops += Product(batch, layers[l].Inputs, layers[l].Outputs) * (l == 0 ? 2 : 3);
        return flops;
    }

    /// <summary>Forward only.</summary>
    public static long Inference(long batch, params (long Inputs, long Outputs)[] layers)
    {
        long flops = 0;
        foreach (var (inputs, outputs) in layers)
            flops += Product(batch, inputs, outputs);
        return flops;
    }

    /// <summary>W1: 784-256-256-10 at batch 128 ≈ 155.1 MFLOP.</summary>
    public static readonly long W1 = TrainStep(128, (784, 256), (256, 256), (256, 10));

    /// <summary>W2: 256→256, then 20 blocks of two 256×256 products, then 256→10, at batch 64 ≈ 1.02 GFLOP.</summary>
    public static readonly long W2 = TrainStep(64, [(256, 256), .. System.Linq.Enumerable.Repeat<(long, long)>((256, 256), 40), (256, 10)]);

    /// <summary>W3: the W1 model's forward at batch 1 ≈ 0.54 MFLOP.</summary>
    public static readonly long W3 = Inference(1, (784, 256), (256, 256), (256, 10));

    /// <summary>W4: 1024-1024-1024-10 at batch 256 ≈ 2.70 GFLOP.</summary>
    public static readonly long W4 = TrainStep(256, (1024, 1024), (1024, 1024), (1024, 10));

    /// <summary>
    /// An LSTM layer's train step as a first layer (no input gradient), its matrix products only:
    /// the input projection <c>2·BT·F·4H</c>, <c>T</c> recurrent products <c>2·B·H·4H</c> forward and <c>T − 1</c> backward,
    /// <c>dW_ih</c> <c>2·BT·F·4H</c> and <c>dW_hh</c> <c>2·BT·H·4H</c>; in all <c>8·B·H·(2·T·F + 3·T·H − H)</c>.
    /// </summary>
    public static long LstmTrainStep(long batch, long steps, long inputs, long hidden) => 8 * batch * hidden * (2 * steps * inputs + 3 * steps * hidden - hidden);

    /// <summary>L1: an LSTM of 32 features → 128 hidden over T = 100 steps at batch 32 (issue 17) ≈ 1.46 GFLOP.</summary>
    public static readonly long L1 = LstmTrainStep(32, 100, 32, 128);
}
