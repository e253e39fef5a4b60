using System;
using System.Linq;
using ChainRule.Diagnostics;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Behaviour;

/// <summary>
/// What a training step does to a wide generated float model at a batch past the packed thresholds, at 1 and 2 threads:
/// each test fails on one specific one-line mistake in the trainer, the clipping kernels or the fused ReLU epilogue
/// (docs/testing.md lists which).
/// </summary>
// Changes Gemm.ThreadCount, which is global: tests that do run one at a time.
[Collection("Worker pool")]
public class TrainerBehaviourTests
{
    private const int Batch = 17;
    private const float LearningRate = 1f;

    /// <summary>Targets a little off the model's own predictions: small gradients, as in a nearly fitted model.</summary>
    private static (float[] Inputs, float[] Targets) NearlyFitted(WideRegressor model, int seed, double offset)
    {
        float[] inputs = Reference.RandomFloats(seed, Batch * 64);
        var targets = new float[Batch * 8];
        model.PredictBatch(inputs, targets);
        float[] noise = Reference.RandomFloats(seed + 1, targets.Length, offset);
        for (int i = 0; i < targets.Length; i++)
            targets[i] += noise[i];
        return (inputs, targets);
    }

    private static float[] UnclippedGradients(WideRegressor model, float[] inputs, float[] targets)
    {
        model.CreateTrainer(new TrainerOptions { MaxBatch = Batch }).ComputeGradients(inputs, targets);
        return model.Gradients.ToArray();
    }

    /// <summary>Plain SGD at rate 1 makes the applied update the clipped gradient itself: <c>θ_after = θ_before − g</c>.</summary>
    private static float[] StepAndReturnUpdate(WideRegressor model, ClippingOptions clip, float[] inputs, float[] targets)
    {
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = Batch, Optimizer = Optimizers.Sgd(LearningRate), Clip = clip });
        float[] before = model.Parameters.ToArray();
        trainer.Step(inputs, targets);
        return model.Parameters.ToArray().Select((after, i) => before[i] - after).ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Value_clipping_clamps_every_gradient_the_step_applies(int threads) => Reference.WithThreads(threads, () =>
    {
        var model = new WideRegressor(11);
        var (inputs, targets) = NearlyFitted(model, 12, offset: 1);
        float[] gradients = UnclippedGradients(model, inputs, targets);
        float[] magnitudes = gradients.Select(Math.Abs).Where(g => g > 0).Order().ToArray();
        double clipValue = magnitudes[magnitudes.Length / 2]; // half the gradients above it, half below
        float[] before = model.Parameters.ToArray();

        float[] update = StepAndReturnUpdate(model, Clipping.Value(clipValue), inputs, targets);

        double[] expected = gradients.Select(g => LearningRate * Math.Clamp((double)g, -clipValue, clipValue)).ToArray();
        Assert.True(gradients.Count(g => Math.Abs(g) > 2 * clipValue) > gradients.Length / 10, "too few gradients far above the clip value for the check to mean anything");
        // The update is read back as before − after in float: an ulp of the parameter on top of the update's own rounding.
        double absolute = before.Max(Math.Abs) * 1.2e-7;
        Reference.Close(expected, update, absolute, 1e-6, $"update under Clipping.Value({clipValue:E3}) at {threads} thread(s)");
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Adaptive_clipping_leaves_a_zero_bias_update_at_lambda_times_epsilon(int threads) => Reference.WithThreads(threads, () =>
    {
        const double lambda = 0.01, epsilon = 1e-3; // the paper's default floor
        var model = new WideRegressor(21);
        var (inputs, targets) = NearlyFitted(model, 22, offset: 1e-3);
        float[] gradients = UnclippedGradients(model, inputs, targets);
        float[] before = model.Parameters.ToArray();

        float[] update = StepAndReturnUpdate(model, Clipping.Adaptive(lambda, epsilon), inputs, targets);

        // NFNets' rule, unit by unit: rows of a weight, a whole bias as one unit.
        var expected = new double[gradients.Length];
        int offset = 0, biasesInFloorRange = 0;
        foreach (var layer in new[] { model.Hidden, model.Hidden2, model.Output })
        {
            for (int row = 0; row < layer.Outputs; row++)
                ClipUnit(offset + row * layer.Inputs, layer.Inputs);
            offset += layer.Inputs * layer.Outputs;
            double biasNorm = ClipUnit(offset, layer.Outputs);
            // ‖W_b‖ = 0: the floor ε sets the limit λ·ε, and ‖G_b‖ < 1e-3 is where max(‖G‖, 1e-6) must not become max(‖G‖, 1e-3).
            if (biasNorm > 2 * lambda * epsilon && biasNorm < 0.5e-3)
                biasesInFloorRange++;
            offset += layer.Outputs;
        }
        Assert.True(biasesInFloorRange > 0, "no bias gradient sits between λ·ε and 1e-3, where the floors differ");
        double absolute = before.Max(Math.Abs) * 1.2e-7;
        Reference.Close(expected, update, absolute, 1e-5, $"update under Clipping.Adaptive({lambda}) at {threads} thread(s)");

        foreach (var layer in new[] { model.Hidden, model.Hidden2, model.Output })
        {
            // A zero bias updated by exactly λ·ε·lr (it started at 0, so the parameter is the update).
            double norm = Math.Sqrt(layer.Bias.ToArray().Sum(b => (double)b * b));
            Assert.True(Math.Abs(norm - LearningRate * lambda * epsilon) <= 1e-5 * lambda * epsilon, $"{layer.Name}: ‖b‖ after one clipped step {norm:E6}, expected λ·ε = {lambda * epsilon:E6}");
        }

        double ClipUnit(int start, int length)
        {
            double gradientNorm = Math.Sqrt(gradients.Skip(start).Take(length).Sum(g => (double)g * g));
            double weightNorm = Math.Sqrt(before.Skip(start).Take(length).Sum(w => (double)w * w));
            double limit = lambda * Math.Max(weightNorm, epsilon);
            double scale = gradientNorm > limit ? limit / Math.Max(gradientNorm, 1e-6) : 1;
            for (int i = start; i < start + length; i++)
                expected[i] = LearningRate * gradients[i] * scale;
            return gradientNorm;
        }
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Dead_units_count_the_exact_zeros_a_dead_row_feeds_the_next_relu_layer(int threads) => Reference.WithThreads(threads, () =>
    {
        var model = new WideRegressor(31);
        float[] inputs = Reference.RandomFloats(32, Batch * 64);
        int[] zeroRows = [0, 5, Batch - 1];
        foreach (int row in zeroRows)
            Array.Clear(inputs, row * 64, 64); // pre = 0·W + 0: exactly 0, dead in both ReLU layers
        float[] targets = Reference.RandomFloats(33, Batch * 8);
        var hidden = DenseReference.Of(model.Hidden, Reference.Relu);
        var hidden2 = DenseReference.Of(model.Hidden2, Reference.Relu);
        double[] pre = hidden.PreActivation(NumericAssert.ToDouble<float>(inputs), Batch);
        double[] pre2 = hidden2.PreActivation(hidden.Forward(NumericAssert.ToDouble<float>(inputs), Batch), Batch);

        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = Batch, Health = new HealthThresholds { DeadFraction = 1 } });
        trainer.Step(inputs, targets);
        GradientReport report = trainer.LastReport!;

        Assert.All(pre2.Where((_, i) => zeroRows.Contains(i / 64)), v => Assert.Equal(0.0, v));
        Assert.Equal(pre.Count(v => v <= 0), (int)Math.Round(report[0].DeadFraction * pre.Length));
        Assert.Equal(pre2.Count(v => v <= 0), (int)Math.Round(report[1].DeadFraction * pre2.Length));
    });
}
