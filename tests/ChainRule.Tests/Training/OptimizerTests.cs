using System;
using System.Linq;
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

    public static TheoryData<string> InvalidOptions() => new()
    {
        "sgd lr -1", "sgd lr NaN", "sgd lr inf", "sgd momentum -1", "sgd momentum NaN", "sgd momentum inf", "sgd wd -1", "sgd wd NaN",
        "sgd wd inf", "sgd dampening NaN", "sgd dampening inf", "sgd lr*wd 1", "sgd lr*wd 2",
        "adam lr -1", "adam lr NaN", "adam lr inf", "adam eps 0", "adam eps -1e-8", "adam eps NaN", "adam eps inf", "adam beta1 -0.1",
        "adam beta1 1", "adam beta1 NaN", "adam beta2 1", "adam beta2 NaN", "adam beta2 -0", "adam wd -1", "adam wd NaN", "adam wd inf",
        "adamw eps 0", "adamw beta1 1", "adamw wd NaN", "adamw lr*wd 1", "adamw 1e30 default wd",
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Every_invalid_option_is_rejected_naming_the_argument(string option)
    {
        (Func<OptimizerOptions> create, string argument) = option switch
        {
            "sgd lr -1" => ((Func<OptimizerOptions>)(() => Optimizers.Sgd(-1)), "learningRate"),
            "sgd lr NaN" => (() => Optimizers.Sgd(double.NaN), "learningRate"),
            "sgd lr inf" => (() => Optimizers.Sgd(double.PositiveInfinity), "learningRate"),
            "sgd momentum -1" => (() => Optimizers.Sgd(0.1, momentum: -1), "momentum"),
            "sgd momentum NaN" => (() => Optimizers.Sgd(0.1, momentum: double.NaN), "momentum"),
            "sgd momentum inf" => (() => Optimizers.Sgd(0.1, momentum: double.PositiveInfinity), "momentum"),
            "sgd wd -1" => (() => Optimizers.Sgd(0.1, weightDecay: -1), "weightDecay"),
            "sgd wd NaN" => (() => Optimizers.Sgd(0.1, weightDecay: double.NaN), "weightDecay"),
            "sgd wd inf" => (() => Optimizers.Sgd(0.1, weightDecay: double.PositiveInfinity), "weightDecay"),
            "sgd dampening NaN" => (() => Optimizers.Sgd(0.1, momentum: 0.9, dampening: double.NaN), "dampening"),
            "sgd dampening inf" => (() => Optimizers.Sgd(0.1, momentum: 0.9, dampening: double.NegativeInfinity), "dampening"),
            "sgd lr*wd 1" => (() => Optimizers.Sgd(0.5, weightDecay: 2), "weightDecay"),
            "sgd lr*wd 2" => (() => Optimizers.Sgd(1, momentum: 0.9, weightDecay: 2), "weightDecay"),
            "adam lr -1" => (() => Optimizers.Adam(-1), "learningRate"),
            "adam lr NaN" => (() => Optimizers.Adam(double.NaN), "learningRate"),
            "adam lr inf" => (() => Optimizers.Adam(double.PositiveInfinity), "learningRate"),
            "adam eps 0" => (() => Optimizers.Adam(epsilon: 0), "epsilon"),
            "adam eps -1e-8" => (() => Optimizers.Adam(epsilon: -1e-8), "epsilon"),
            "adam eps NaN" => (() => Optimizers.Adam(epsilon: double.NaN), "epsilon"),
            "adam eps inf" => (() => Optimizers.Adam(epsilon: double.PositiveInfinity), "epsilon"),
            "adam beta1 -0.1" => (() => Optimizers.Adam(beta1: -0.1), "beta1"),
            "adam beta1 1" => (() => Optimizers.Adam(beta1: 1), "beta1"),
            "adam beta1 NaN" => (() => Optimizers.Adam(beta1: double.NaN), "beta1"),
            "adam beta2 1" => (() => Optimizers.Adam(beta2: 1), "beta2"),
            "adam beta2 NaN" => (() => Optimizers.Adam(beta2: double.NaN), "beta2"),
            "adam beta2 -0" => (() => Optimizers.Adam(beta2: -1e-300), "beta2"),
            "adam wd -1" => (() => Optimizers.Adam(weightDecay: -1), "weightDecay"),
            "adam wd NaN" => (() => Optimizers.Adam(weightDecay: double.NaN), "weightDecay"),
            "adam wd inf" => (() => Optimizers.Adam(weightDecay: double.PositiveInfinity), "weightDecay"),
            "adamw eps 0" => (() => Optimizers.AdamW(epsilon: 0), "epsilon"),
            "adamw beta1 1" => (() => Optimizers.AdamW(beta1: 1), "beta1"),
            "adamw wd NaN" => (() => Optimizers.AdamW(weightDecay: double.NaN), "weightDecay"),
            "adamw lr*wd 1" => (() => Optimizers.AdamW(100, weightDecay: 0.01), "weightDecay"),
            _ => (() => Optimizers.AdamW(1e30), "weightDecay"),
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(argument, error.ParamName);
    }

    [Fact]
    public void Adam_allows_any_L2_decay_and_the_learning_rate_setter_keeps_lr_times_wd_below_1()
    {
        Assert.Equal(10.0, Optimizers.Adam(1, weightDecay: 10).WeightDecay); // its L2 term goes through the normalization
        Optimizers.Adam(1, weightDecay: 10).Create<float>(1).LearningRate = 100;

        foreach (OptimizerOptions options in new[] { Optimizers.AdamW(0.1, weightDecay: 5), Optimizers.Sgd(0.1, weightDecay: 5) })
        {
            Optimizer<float> optimizer = options.Create<float>(1);
            optimizer.LearningRate = 0.19;
            Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = 0.2);
            Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = double.NaN);
            Assert.Equal(0.19, optimizer.LearningRate);
        }
    }

    [Fact]
    public void Update_on_NaN_or_infinite_gradients_throws_naming_the_element_and_changes_nothing()
    {
        foreach (OptimizerOptions options in new[] { Optimizers.Sgd(0.1, momentum: 0.9), Optimizers.Adam(0.1, weightDecay: 0.1), Optimizers.AdamW(0.1) })
        {
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            {
                Optimizer<float> optimizer = options.Create<float>(Count);
                var random = new Random(3);
                float[] p = NumericAssert.Random<float>(random, Count);
                optimizer.Update(p, NumericAssert.Random<float>(random, Count));
                float[] parameters = (float[])p.Clone();
                float[][] state = [.. optimizer.State.Select(buffer => (float[])buffer.Clone())];
                float[] gradients = NumericAssert.Random<float>(random, Count);
                gradients[Count - 3] = bad;

                var error = Assert.Throws<ArgumentException>(() => optimizer.Update(p, gradients));
                Assert.Equal("gradients", error.ParamName);
                Assert.Contains($"gradients[{Count - 3}]", error.Message, StringComparison.Ordinal);
                Assert.Equal(parameters, p);
                Assert.Equal(state, optimizer.State);
                Assert.Equal(1, optimizer.StepCount);
            }
        }
    }

    [Fact]
    public void An_update_that_would_overflow_throws_and_changes_nothing()
    {
        var random = new Random(4);
        Optimizer<float> adam = Optimizers.Adam(1e38).Create<float>(Count);
        float[] p = NumericAssert.Random<float>(random, Count);
        float[] before = (float[])p.Clone();
        Assert.Throws<OverflowException>(() => adam.Update(p, NumericAssert.Random<float>(random, Count)));
        Assert.Equal(before, p);
        Assert.All(adam.State, buffer => Assert.All(buffer, value => Assert.Equal(0f, value)));
        Assert.Equal(0, adam.StepCount);

        // SGD in double: 1e300·g overflows where |g| > 1.8e8, here only at element 20; momentum state stays 0.
        Optimizer<double> sgd = Optimizers.Sgd(1e300, momentum: 0.9).Create<double>(Count);
        double[] q = new double[Count];
        double[] g = new double[Count];
        g[20] = -1e10;
        var error = Assert.Throws<OverflowException>(() => sgd.Update(q, g));
        Assert.Contains("parameter 20", error.Message, StringComparison.Ordinal);
        Assert.All(q, value => Assert.Equal(0.0, value));
        Assert.All(sgd.State[0], value => Assert.Equal(0.0, value));
        Assert.Equal(0, sgd.StepCount);
        Assert.Equal(1, sgd.DryRunPasses);
    }

    [Fact]
    public void A_step_the_scalar_bound_cannot_prove_runs_the_dry_run_then_applies_the_same_arithmetic()
    {
        // lr·max|g| ≈ 3e30 is past the bound (2¹⁰¹ ≈ 2.5e30 for float) but p − lr·g is finite everywhere.
        var random = new Random(6);
        float[] start = NumericAssert.Random<float>(random, Count);
        float[] gradients = NumericAssert.Random<float>(random, Count);
        gradients[7] = 3;
        Optimizer<float> optimizer = Optimizers.Sgd(1e30).Create<float>(Count);
        float[] p = (float[])start.Clone();
        optimizer.Update(p, gradients);
        Assert.Equal(1, optimizer.DryRunPasses);
        Assert.Equal(1, optimizer.StepCount);
        for (int i = 0; i < Count; i++)
            Assert.Equal(start[i] - 1e30 * gradients[i], p[i], Math.Abs(1e30 * gradients[i]) * 1e-6 + 1e-6);
    }

    [Fact]
    public void A_split_dry_run_finds_the_first_overflow_in_whichever_part_holds_it()
    {
        int n = ChainRule.Kernels.ParallelRange.MinLength + 1001;
        int before = ChainRule.Kernels.Gemm.ThreadCount;
        try
        {
            ChainRule.Kernels.Gemm.ThreadCount = 2;
            foreach (int[] bad in new[] { new[] { n - 5 }, new[] { 10, n - 5 } })
            {
                float[] p = new float[n];
                float[] g = new float[n];
                g.AsSpan().Fill(1);
                foreach (int i in bad)
                {
                    p[i] = -3e38f;
                    g[i] = 1e38f; // p − g = −4e38: −∞
                }
                float[] parameters = (float[])p.Clone();
                Optimizer<float> optimizer = Optimizers.Sgd(1, momentum: 0.5).Create<float>(n);
                long splits = ChainRule.Kernels.ParallelRange.SplitCount;
                var error = Assert.Throws<OverflowException>(() => optimizer.Update(p, g));
                Assert.True(ChainRule.Kernels.ParallelRange.SplitCount > splits, "the dry run did not run split");
                Assert.Contains($"parameter {bad[0]} ", error.Message, StringComparison.Ordinal);
                Assert.Equal(parameters, p);
                Assert.All(optimizer.State[0], value => Assert.Equal(0f, value));
            }
        }
        finally
        {
            ChainRule.Kernels.Gemm.ThreadCount = before;
        }
    }
}
