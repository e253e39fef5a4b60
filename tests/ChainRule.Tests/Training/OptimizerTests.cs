using System;
using System.Numerics;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

// Changes Gemm.ThreadCount, which is global: tests that do run one at a time.
[Collection("Worker pool")]
public class OptimizerTests
{
    private const int Count = 37; // every SIMD width plus a scalar tail
    private const int Steps = 5;

    /// <summary>torch.optim.SGD's algorithm, written out per parameter in double.</summary>
    private static void SgdReference(double[] p, double[][] gradients, double[] learningRates, double momentum, double dampening, double weightDecay, bool nesterov)
    {
        var buffer = new double[p.Length];
        for (int t = 1; t <= gradients.Length; t++)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double g = gradients[t - 1][i];
                if (weightDecay != 0) g += weightDecay * p[i];
                if (momentum != 0)
                {
                    buffer[i] = t == 1 ? g : momentum * buffer[i] + (1 - dampening) * g;
                    g = nesterov ? g + momentum * buffer[i] : buffer[i];
                }
                p[i] -= learningRates[t - 1] * g;
            }
        }
    }

    /// <summary>torch.optim.Adam / AdamW's algorithm, written out per parameter in double.</summary>
    private static void AdamReference(double[] p, double[][] gradients, double[] learningRates, double beta1, double beta2, double epsilon, double weightDecay, bool decoupled)
    {
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (int t = 1; t <= gradients.Length; t++)
        {
            double lr = learningRates[t - 1];
            double bc1 = 1 - Math.Pow(beta1, t), bc2 = 1 - Math.Pow(beta2, t);
            for (int i = 0; i < p.Length; i++)
            {
                double g = gradients[t - 1][i];
                if (decoupled) p[i] *= 1 - lr * weightDecay;
                else g += weightDecay * p[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / bc1, vHat = v[i] / bc2;
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + epsilon);
            }
        }
    }

    public static TheoryData<string> Variants() => new()
    {
        "sgd", "sgd-momentum", "sgd-momentum-dampening", "sgd-nesterov", "sgd-weight-decay", "sgd-nesterov-weight-decay",
        "adam", "adam-weight-decay", "adamw", "adamw-no-decay",
    };

    private static (OptimizerOptions Options, Action<double[], double[][], double[]> Reference) Variant(string name) => name switch
    {
        "sgd" => (Optimizers.Sgd(0.1), (p, g, lr) => SgdReference(p, g, lr, 0, 0, 0, false)),
        "sgd-momentum" => (Optimizers.Sgd(0.1, momentum: 0.9), (p, g, lr) => SgdReference(p, g, lr, 0.9, 0, 0, false)),
        "sgd-momentum-dampening" => (Optimizers.Sgd(0.1, momentum: 0.8, dampening: 0.5), (p, g, lr) => SgdReference(p, g, lr, 0.8, 0.5, 0, false)),
        "sgd-nesterov" => (Optimizers.Sgd(0.05, momentum: 0.9, nesterov: true), (p, g, lr) => SgdReference(p, g, lr, 0.9, 0, 0, true)),
        "sgd-weight-decay" => (Optimizers.Sgd(0.1, weightDecay: 0.01), (p, g, lr) => SgdReference(p, g, lr, 0, 0, 0.01, false)),
        "sgd-nesterov-weight-decay" => (Optimizers.Sgd(0.1, momentum: 0.5, weightDecay: 0.1, nesterov: true), (p, g, lr) => SgdReference(p, g, lr, 0.5, 0, 0.1, true)),
        "adam" => (Optimizers.Adam(0.01), (p, g, lr) => AdamReference(p, g, lr, 0.9, 0.999, 1e-8, 0, false)),
        "adam-weight-decay" => (Optimizers.Adam(0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1), (p, g, lr) => AdamReference(p, g, lr, 0.8, 0.99, 1e-6, 0.1, false)),
        "adamw" => (Optimizers.AdamW(0.01), (p, g, lr) => AdamReference(p, g, lr, 0.9, 0.999, 1e-8, 0.01, true)),
        "adamw-no-decay" => (Optimizers.AdamW(0.01, weightDecay: 0), (p, g, lr) => AdamReference(p, g, lr, 0.9, 0.999, 1e-8, 0, true)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Steps_follow_the_PyTorch_algorithm(string name)
    {
        Check<double>(1e-13, 1e-12);
        Check<float>(2e-6, 1e-5);

        void Check<T>(double absolute, double relative) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (options, reference) = Variant(name);
            var random = new Random(name.Length * 13);
            T[] parameters = NumericAssert.Random<T>(random, Count);
            var gradients = new T[Steps][];
            for (int t = 0; t < Steps; t++) gradients[t] = NumericAssert.Random<T>(random, Count);
            // A schedule changes the learning rate between steps; step 3 uses a rate the options never saw.
            double[] learningRates = [options.LearningRate, options.LearningRate, options.LearningRate * 0.5, options.LearningRate * 0.25, options.LearningRate];

            double[] expected = NumericAssert.ToDouble<T>(parameters);
            reference(expected, Array.ConvertAll(gradients, g => NumericAssert.ToDouble<T>(g)), learningRates);

            Optimizer<T> optimizer = options.Create<T>(Count);
            Assert.Equal(options.LearningRate, optimizer.LearningRate);
            for (int t = 0; t < Steps; t++)
            {
                optimizer.LearningRate = learningRates[t];
                optimizer.Update(parameters, gradients[t]);
            }
            Assert.Equal(Steps, optimizer.StepCount);
            NumericAssert.Close<T>(expected, parameters, absolute, relative, $"{name}<{typeof(T).Name}> after {Steps} steps");
        }
    }

    [Fact]
    public void Sgd_momentum_buffer_starts_at_the_first_gradient_without_dampening()
    {
        // Step 1: b = g (dampening ignored), p = 1 − 0.1·2 = 0.8. Step 2: b = 0.9·2 + 0.5·4 = 3.8, p = 0.8 − 0.38 = 0.42.
        var optimizer = Optimizers.Sgd(0.1, momentum: 0.9, dampening: 0.5).Create<double>(1);
        double[] p = [1.0];
        optimizer.Update(p, [2.0]);
        Assert.Equal(0.8, p[0], 15);
        optimizer.Update(p, [4.0]);
        Assert.Equal(0.42, p[0], 14);
    }

    [Fact]
    public void Adam_first_step_moves_each_parameter_by_the_learning_rate()
    {
        // With bias correction, m̂ = g and v̂ = g² at t = 1, so the step is lr·g/(|g| + ε) ≈ lr·sign(g).
        var optimizer = Optimizers.Adam(0.01).Create<float>(3);
        float[] p = [1f, 1f, 1f];
        optimizer.Update(p, [3f, -0.001f, 250f]);
        NumericAssert.Close<float>([0.99, 1.01, 0.99], p, 1e-6, 0, "Adam step 1");
    }

    [Fact]
    public void AdamW_decays_weights_even_with_zero_gradient_and_Adam_does_not_without_L2()
    {
        var adamW = Optimizers.AdamW(0.1, weightDecay: 0.5).Create<double>(1);
        double[] p = [2.0];
        adamW.Update(p, [0.0]);
        Assert.Equal(2.0 * (1 - 0.1 * 0.5), p[0], 15); // m = v = 0 ⇒ the Adam part is 0/(0 + ε) = 0
        var adam = Optimizers.Adam(0.1).Create<double>(1);
        double[] q = [2.0];
        adam.Update(q, [0.0]);
        Assert.Equal(2.0, q[0]);
    }

    [Fact]
    public void Wrong_lengths_throw_and_change_nothing()
    {
        var optimizer = Optimizers.Adam().Create<float>(4);
        float[] p = [1, 2, 3, 4];
        Assert.Throws<ArgumentException>(() => optimizer.Update(p, new float[3]));
        Assert.Throws<ArgumentException>(() => optimizer.Update(new float[5], new float[4]));
        Assert.Equal(0, optimizer.StepCount);
        Assert.Equal([1f, 2f, 3f, 4f], p);
    }

    [Fact]
    public void Arguments_are_validated_like_PyTorch()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Sgd(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Sgd(0.1, momentum: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Sgd(0.1, weightDecay: -1));
        Assert.Throws<ArgumentException>(() => Optimizers.Sgd(0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => Optimizers.Sgd(0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(beta2: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(epsilon: -1e-8));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(weightDecay: -1));
        var optimizer = Optimizers.Sgd(0.1).Create<float>(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -1);

        OptimizerOptions adamW = Optimizers.AdamW();
        Assert.Equal(OptimizerKind.AdamW, adamW.Kind);
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 1e-2), (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay));
        Assert.Equal(0.0, Optimizers.Adam().WeightDecay);
    }

    [Fact]
    public void TrainerOptions_validate()
    {
        new TrainerOptions().Validate();
        Assert.Equal(32, new TrainerOptions().MaxBatch);
        Assert.Equal(OptimizerKind.Sgd, new TrainerOptions().Optimizer.Kind);
        Assert.Equal(0.01, new TrainerOptions().Optimizer.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { MaxBatch = 0 }.Validate());
        Assert.Throws<ArgumentNullException>(() => new TrainerOptions { Optimizer = null! }.Validate());
    }

    [Fact]
    public void Long_buffers_split_across_threads_update_bit_for_bit_as_on_one()
    {
        int n = ChainRule.Kernels.ParallelRange.MinLength + 1001; // parts on cache-line bounds, a scalar tail in the last one
        var random = new Random(5);
        float[] start = NumericAssert.Random<float>(random, n);
        float[][] gradients = [NumericAssert.Random<float>(random, n), NumericAssert.Random<float>(random, n), NumericAssert.Random<float>(random, n)];
        foreach (OptimizerOptions options in new[] { Optimizers.Sgd(0.1, momentum: 0.9, weightDecay: 0.01), Optimizers.AdamW(0.01, weightDecay: 0.1) })
        {
            float[] serial = Run(options, threads: 1);
            long splitsBefore = ChainRule.Kernels.ParallelRange.SplitCount;
            float[] split = Run(options, threads: 2);
            Assert.True(ChainRule.Kernels.ParallelRange.SplitCount >= splitsBefore + gradients.Length, "the updates did not run split");
            Assert.Equal(serial, split);
        }

        float[] Run(OptimizerOptions options, int threads)
        {
            int before = ChainRule.Kernels.Gemm.ThreadCount;
            try
            {
                ChainRule.Kernels.Gemm.ThreadCount = threads;
                float[] parameters = (float[])start.Clone();
                Optimizer<float> optimizer = options.Create<float>(n);
                foreach (float[] gradient in gradients)
                    optimizer.Update(parameters, gradient);
                return parameters;
            }
            finally
            {
                ChainRule.Kernels.Gemm.ThreadCount = before;
            }
        }
    }
}
