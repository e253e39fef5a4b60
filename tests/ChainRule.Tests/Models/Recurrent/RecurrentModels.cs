using ChainRule;

namespace ChainRule.Tests.Models.Recurrent;

/// <summary>Two stacked LSTMs (every step into the last step) and a regression head: 5 steps of 3 features.</summary>
[Network(Inputs = 3, Steps = 5, Loss = Loss.MeanSquaredError)]
public partial class StackedLstm
{
    [Lstm(6, ReturnSequences = true, ForgetBias = 1)] public partial RecurrentLayer<float> Encoder { get; }
    [Lstm(4)] public partial RecurrentLayer<float> Final { get; }
    [Dense(2)] public partial DenseLayer<float> Head { get; }
}

/// <summary>A GRU over every step with a per-step head: one logit per step.</summary>
[Network(Inputs = 2, Steps = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public partial class GruTagger
{
    [Gru(5, ReturnSequences = true)] public partial RecurrentLayer<float> Memory { get; }
    [Dense(1)] public partial DenseLayer<float> Tag { get; }
}

/// <summary>A tanh RNN classifying a sequence by its last step, truncated to the last 3 of 8 steps.</summary>
[Network(Inputs = 2, Steps = 8, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TruncatedRnn
{
    [Rnn(4, Truncate = 3)] public partial RecurrentLayer<float> Memory { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}

/// <summary><see cref="TruncatedRnn"/> with full BPTT.</summary>
[Network(Inputs = 2, Steps = 8, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TruncatedRnnFull
{
    [Rnn(4)] public partial RecurrentLayer<float> Memory { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>A dense layer per step feeding an LSTM: huge finite inputs overflow inside the network, before the recurrent layer.</summary>
[Network(Inputs = 2, Steps = 3, Loss = Loss.MeanSquaredError)]
public partial class DenseIntoLstm
{
    [Dense(3)] public partial DenseLayer<float> Embed { get; }
    [Lstm(2)] public partial RecurrentLayer<float> Memory { get; }
    [Dense(1)] public partial DenseLayer<float> Head { get; }
}
