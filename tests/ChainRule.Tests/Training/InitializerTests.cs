using System;
using System.Linq;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

public class InitializerTests
{
    private const int Inputs = 300, Outputs = 200; // 60,000 samples: the sample variance is within ~1.5% (4σ)

    [Theory]
    [InlineData(Init.HeNormal, 2.0 / Inputs)]
    [InlineData(Init.HeUniform, 2.0 / Inputs)]          // U(±a): variance a²/3 = 2/fan_in
    [InlineData(Init.XavierNormal, 2.0 / (Inputs + Outputs))]
    [InlineData(Init.XavierUniform, 2.0 / (Inputs + Outputs))]
    [InlineData(Init.LeCunNormal, 1.0 / Inputs)]
    [InlineData(Init.LeCunUniform, 1.0 / Inputs)]
    public void Sample_mean_and_variance_match_the_scheme(Init scheme, double variance)
    {
        var weight = new double[Inputs * Outputs];
        var random = new DeterministicRandom(42, 0);
        Initializers.Fill<double>(weight, Inputs, Outputs, scheme, ref random);
        double mean = weight.Average();
        double sampleVariance = weight.Sum(w => (w - mean) * (w - mean)) / (weight.Length - 1);
        double std = Math.Sqrt(variance);
        Assert.True(Math.Abs(mean) < 4 * std / Math.Sqrt(weight.Length), $"{scheme}: mean {mean:E3}");
        Assert.True(Math.Abs(sampleVariance / variance - 1) < 0.025, $"{scheme}: variance {sampleVariance:E4}, expected {variance:E4}");
        if (scheme is Init.HeUniform or Init.XavierUniform or Init.LeCunUniform)
        {
            double bound = Math.Sqrt(3 * variance);
            Assert.True(weight.Max() < bound && weight.Min() >= -bound, $"{scheme}: values outside ±{bound}");
            Assert.True(weight.Max() > 0.99 * bound && weight.Min() < -0.99 * bound, $"{scheme}: does not reach ±{bound}");
        }
        else
        {
            // Normal: about 4.55% of samples beyond 2σ.
            double tail = weight.Count(w => Math.Abs(w) > 2 * std) / (double)weight.Length;
            Assert.InRange(tail, 0.040, 0.051);
        }
    }

    [Theory]
    [InlineData(3, 5)]    // outputs < inputs: rows orthonormal, W Wᵀ = I
    [InlineData(64, 64)]
    [InlineData(17, 40)]  // outputs > inputs: columns orthonormal, Wᵀ W = I
    public void Orthogonal_gives_orthonormal_rows_or_columns(int inputs, int outputs)
    {
        Check<double>(1e-12);
        Check<float>(1e-5);

        void Check<T>(double tolerance) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var weight = new T[inputs * outputs];
            var random = new DeterministicRandom(7, 3);
            Initializers.Fill<T>(weight, inputs, outputs, Init.Orthogonal, ref random);
            bool rows = outputs <= inputs;
            int count = rows ? outputs : inputs, length = rows ? inputs : outputs;
            double worst = 0;
            for (int a = 0; a < count; a++)
                for (int b = 0; b < count; b++)
                {
                    double dot = 0;
                    for (int k = 0; k < length; k++)
                    {
                        int ia = rows ? a * inputs + k : k * inputs + a;
                        int ib = rows ? b * inputs + k : k * inputs + b;
                        dot += double.CreateTruncating(weight[ia]) * double.CreateTruncating(weight[ib]);
                    }
                    worst = Math.Max(worst, Math.Abs(dot - (a == b ? 1 : 0)));
                }
            Assert.True(worst < tolerance, $"{(rows ? "W Wᵀ" : "Wᵀ W")} differs from I by {worst:E3} ({typeof(T).Name}, {outputs}×{inputs})");
        }
    }

    [Fact]
    public void Same_seed_and_stream_repeat_and_other_streams_differ()
    {
        float[] Draw(int seed, int stream, Init scheme)
        {
            var weight = new float[12 * 10];
            var random = new DeterministicRandom(seed, stream);
            Initializers.Fill<float>(weight, 12, 10, scheme, ref random);
            return weight;
        }

        foreach (Init scheme in new[] { Init.HeNormal, Init.XavierUniform, Init.Orthogonal })
        {
            Assert.Equal(Draw(1, 0, scheme), Draw(1, 0, scheme));
            Assert.NotEqual(Draw(1, 0, scheme), Draw(1, 1, scheme));
            Assert.NotEqual(Draw(1, 0, scheme), Draw(2, 0, scheme));
        }
    }

    [Fact]
    public void Default_and_Zeros_are_rejected_and_DefaultFor_follows_the_activation()
    {
        var random = new DeterministicRandom(0, 0);
        var weight = new float[6];
        Assert.Throws<ArgumentException>(() => Initializers.Fill<float>(weight, 3, 2, Init.Default, ref random));
        Assert.Throws<ArgumentException>(() => Initializers.Fill<float>(weight, 3, 2, Init.Zeros, ref random));
        Assert.Throws<ArgumentException>(() => Initializers.Fill<float>(weight, 2, 2, Init.HeNormal, ref random));

        Assert.Equal(Init.HeNormal, Initializers.DefaultFor(Activation.ReLU));
        Assert.Equal(Init.HeNormal, Initializers.DefaultFor(Activation.LeakyReLU));
        Assert.Equal(Init.HeNormal, Initializers.DefaultFor(Activation.Gelu));
        Assert.Equal(Init.HeNormal, Initializers.DefaultFor(Activation.Silu));
        Assert.Equal(Init.XavierNormal, Initializers.DefaultFor(Activation.Sigmoid));
        Assert.Equal(Init.XavierNormal, Initializers.DefaultFor(Activation.Tanh));
        Assert.Equal(Init.XavierNormal, Initializers.DefaultFor(Activation.Identity));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.DefaultFor((Activation)99));
    }
}
