using ChainRule;

namespace LongMemory;

// The adding problem (Hochreiter & Schmidhuber 1997): 50 steps of (value, marker); the answer is the sum of the two
// marked values, one in each half, so it depends on inputs up to 50 steps back. Three cells, the same head.

[Network(Inputs = 2, Steps = Problem.Steps, Loss = Loss.MeanSquaredError)]
public partial class TanhRnn
{
    [Rnn(32)] public partial RecurrentLayer<float> Memory { get; }
    [Dense(1)] public partial DenseLayer<float> Sum { get; }
}

[Network(Inputs = 2, Steps = Problem.Steps, Loss = Loss.MeanSquaredError)]
public partial class LstmNet
{
    [Lstm(32)] public partial RecurrentLayer<float> Memory { get; }
    [Dense(1)] public partial DenseLayer<float> Sum { get; }
}

[Network(Inputs = 2, Steps = Problem.Steps, Loss = Loss.MeanSquaredError)]
public partial class GruNet
{
    [Gru(32)] public partial RecurrentLayer<float> Memory { get; }
    [Dense(1)] public partial DenseLayer<float> Sum { get; }
}

/// <summary>Batches of the adding problem from one seeded stream.</summary>
public static class Problem
{
    public const int Steps = 50;

    /// <summary>Fills <paramref name="inputs"/> <c>(B, 50, 2)</c> and <paramref name="targets"/> <c>(B, 1)</c>.</summary>
    public static void Fill(float[] inputs, float[] targets, ref ChainRule.Training.DeterministicRandom random)
    {
        int batch = targets.Length;
        System.Array.Clear(inputs);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < Steps; t++)
                inputs[(b * Steps + t) * 2] = (float)random.NextDouble();
            int first = (int)(random.NextDouble() * (Steps / 2));
            int second = Steps / 2 + (int)(random.NextDouble() * (Steps / 2));
            inputs[(b * Steps + first) * 2 + 1] = 1;
            inputs[(b * Steps + second) * 2 + 1] = 1;
            targets[b] = inputs[(b * Steps + first) * 2] + inputs[(b * Steps + second) * 2];
        }
    }
}
