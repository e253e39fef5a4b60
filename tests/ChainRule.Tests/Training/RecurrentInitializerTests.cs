using System;
using System.Linq;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

public class RecurrentInitializerTests
{
    private sealed record Layer(double[] WeightIH, double[] WeightHH, double[] BiasIH, double[] BiasHH)
    {
        public static Layer Create(int gates, int inputs, int hidden) =>
            new(new double[gates * hidden * inputs], new double[gates * hidden * hidden], new double[gates * hidden], new double[gates * hidden]);

        public double[][] All => [WeightIH, WeightHH, BiasIH, BiasHH];
    }

    private static Layer Fill(int gates, int inputs, int hidden, Init recurrentInit = Init.Default, double forgetBias = 0, int seed = 3, int stream = 1)
    {
        var layer = Layer.Create(gates, inputs, hidden);
        var random = new DeterministicRandom(seed, stream);
        Initializers.FillRecurrent<double>(layer.WeightIH, layer.WeightHH, layer.BiasIH, layer.BiasHH, inputs, hidden, gates, recurrentInit, forgetBias, ref random);
        return layer;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(3)]
    [InlineData(1)]
    public void The_default_is_pytorchs_uniform_within_one_over_root_hidden_for_every_weight_and_bias(int gates)
    {
        const int inputs = 24, hidden = 25; // bound 0.2
        Layer layer = Fill(gates, inputs, hidden);
        foreach (double[] values in layer.All)
        {
            Assert.All(values, v => Assert.InRange(v, -0.2, 0.2));
            // Spread over the whole interval, centred: a U(−0.2, 0.2) has variance 0.04/3.
            double mean = values.Average(), variance = values.Select(v => (v - mean) * (v - mean)).Average();
            Assert.InRange(mean, -0.05, 0.05);
            Assert.InRange(variance, 0.6 * 0.04 / 3, 1.4 * 0.04 / 3);
            Assert.True(values.Max() > 0.15 && values.Min() < -0.15, "the draw should reach near both bounds");
        }
    }

    [Fact]
    public void The_same_seed_and_stream_give_the_same_values_and_another_stream_others()
    {
        Layer a = Fill(4, 5, 6), b = Fill(4, 5, 6), c = Fill(4, 5, 6, stream: 2);
        for (int i = 0; i < a.All.Length; i++)
        {
            Assert.Equal(a.All[i], b.All[i]);
            Assert.NotEqual(a.All[i], c.All[i]);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(3)]
    [InlineData(1)]
    public void Orthogonal_recurrent_weights_are_orthogonal_per_gate_block(int gates)
    {
        const int inputs = 5, hidden = 7;
        Layer layer = Fill(gates, inputs, hidden, Init.Orthogonal);
        for (int gate = 0; gate < gates; gate++)
        {
            for (int r = 0; r < hidden; r++)
                for (int s = 0; s < hidden; s++)
                {
                    double dot = 0;
                    for (int k = 0; k < hidden; k++)
                        dot += layer.WeightHH[(gate * hidden + r) * hidden + k] * layer.WeightHH[(gate * hidden + s) * hidden + k];
                    Assert.True(Math.Abs(dot - (r == s ? 1 : 0)) < 1e-12, $"gate {gate}: row {r} · row {s} = {dot:R}");
                }
        }
        if (gates > 1)
            Assert.NotEqual(layer.WeightHH.AsSpan(0, hidden * hidden).ToArray(), layer.WeightHH.AsSpan((gates - 1) * hidden * hidden, hidden * hidden).ToArray());
        Assert.All(layer.WeightIH, v => Assert.InRange(v, -1 / Math.Sqrt(hidden), 1 / Math.Sqrt(hidden)));
    }

    [Fact]
    public void A_forget_bias_sets_the_lstm_forget_gates_total_bias_exactly()
    {
        const int inputs = 3, hidden = 4;
        Layer plain = Fill(4, inputs, hidden), forget = Fill(4, inputs, hidden, forgetBias: 1);
        for (int j = 0; j < hidden; j++)
        {
            Assert.Equal(1.0, forget.BiasIH[hidden + j]);
            Assert.Equal(0.0, forget.BiasHH[hidden + j]);
        }
        // The other gates keep the draw they would have had.
        foreach (int gate in new[] { 0, 2, 3 })
            for (int j = 0; j < hidden; j++)
            {
                Assert.Equal(plain.BiasIH[gate * hidden + j], forget.BiasIH[gate * hidden + j]);
                Assert.Equal(plain.BiasHH[gate * hidden + j], forget.BiasHH[gate * hidden + j]);
            }
        Assert.Equal(plain.WeightIH, forget.WeightIH);
        Assert.Equal(plain.WeightHH, forget.WeightHH);
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_is_drawn_or_written()
    {
        void Refused<TException>(int gates, int inputs, int hidden, Init init, double forgetBias, Layer layer, string parameter) where TException : ArgumentException
        {
            var random = new DeterministicRandom(1, 1);
            var e = Assert.ThrowsAny<TException>(() => Initializers.FillRecurrent<double>(layer.WeightIH, layer.WeightHH, layer.BiasIH, layer.BiasHH, inputs, hidden, gates, init, forgetBias, ref random));
            Assert.Equal(parameter, e.ParamName);
            Assert.All(layer.All, values => Assert.All(values, v => Assert.Equal(0.0, v)));
            var fresh = new DeterministicRandom(1, 1);
            Assert.Equal(fresh.NextUInt64(), random.NextUInt64());
        }

        Refused<ArgumentOutOfRangeException>(2, 3, 4, Init.Default, 0, Layer.Create(2, 3, 4), "gates");
        Refused<ArgumentException>(4, 3, 4, Init.Default, 0, Layer.Create(4, 3, 5), "weightIH");
        Refused<ArgumentException>(4, 3, 4, Init.Default, 0, Layer.Create(3, 3, 4) with { WeightIH = new double[48] }, "weightHH");
        Refused<ArgumentException>(4, 3, 4, Init.Default, 0, Layer.Create(4, 3, 4) with { BiasHH = new double[3] }, "biasHH");
        Refused<ArgumentException>(3, 3, 4, Init.Default, 1, Layer.Create(3, 3, 4), "forgetBias");
        Refused<ArgumentException>(4, 3, 4, Init.Default, double.NaN, Layer.Create(4, 3, 4), "forgetBias");
        Refused<ArgumentException>(4, 3, 4, Init.Zeros, 0, Layer.Create(4, 3, 4), "recurrentInit");
    }
}
