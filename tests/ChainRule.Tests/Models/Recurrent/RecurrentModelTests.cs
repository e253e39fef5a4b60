using System;
using System.Linq;
using System.Runtime.InteropServices;
using ChainRule.Diagnostics;
using ChainRule.Tests.Serialization;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models.Recurrent;

/// <summary>
/// Generated recurrent models at run time: PyTorch's state_dict names and shapes in checkpoints, a round trip, no
/// allocation per step or prediction, bad input refused with the model unchanged, and the report's per-step
/// <c>‖∂L/∂h_t‖</c> with its through-time ratio.
/// </summary>
public class RecurrentModelTests
{
    private static float[] Random(int count, int seed, float scale = 1)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static byte[] Bits(ReadOnlySpan<float> values) => MemoryMarshal.AsBytes(values).ToArray();

    [Fact]
    public void Sizes_follow_the_sequence_layout()
    {
        Assert.Equal(5 * 3, StackedLstm.InputSize);
        Assert.Equal(2, StackedLstm.OutputSize);
        Assert.Equal(6 * 1, GruTagger.OutputSize);
        Assert.Equal(4 * 6 * (3 + 6 + 2) + 4 * 4 * (6 + 4 + 2) + 2 * 4 + 2, StackedLstm.ParameterCount);
        var model = new StackedLstm(seed: 1);
        Assert.Equal((3, 6), (model.Encoder.Inputs, model.Encoder.Hidden));
        Assert.Equal((6, 4), (model.Final.Inputs, model.Final.Hidden));
        // ForgetBias = 1: b_ih's f block is 1, b_hh's 0.
        Assert.All(model.Encoder.BiasIH.Slice(6, 6).ToArray(), b => Assert.Equal(1f, b));
        Assert.All(model.Encoder.BiasHH.Slice(6, 6).ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Checkpoints_carry_PyTorch_names_and_round_trip()
    {
        var model = new StackedLstm(seed: 2);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4, Optimizer = Optimizers.AdamW(1e-2) });
        trainer.Step(Random(4 * 15, 3), Random(4 * 2, 4));
        (string, string)[] expected =
        [
            ("Encoder.weight_ih_l0", "[24, 3]"), ("Encoder.weight_hh_l0", "[24, 6]"), ("Encoder.bias_ih_l0", "[24]"), ("Encoder.bias_hh_l0", "[24]"),
            ("Final.weight_ih_l0", "[16, 6]"), ("Final.weight_hh_l0", "[16, 4]"), ("Final.bias_ih_l0", "[16]"), ("Final.bias_hh_l0", "[16]"),
            ("Head.weight", "[2, 4]"), ("Head.bias", "[2]"),
        ];
        byte[] file = model.SaveToBytes();
        Assert.Equal(expected.OrderBy(e => e.Item1, StringComparer.Ordinal),
            CheckpointFiles.Entries(file).Select(e => (e.Name, e.Shape)).OrderBy(e => e.Name, StringComparer.Ordinal));

        var loaded = new StackedLstm(seed: 99);
        Assert.NotEqual(Bits(model.Parameters), Bits(loaded.Parameters));
        loaded.Load(file);
        Assert.Equal(Bits(model.Parameters), Bits(loaded.Parameters));
        float[] sample = Random(15, 5), expectedOutput = new float[2], actual = new float[2];
        model.Predict(sample, expectedOutput);
        loaded.Predict(sample, actual);
        Assert.Equal(expectedOutput, actual);
    }

    [Fact]
    public void Training_steps_and_predictions_allocate_nothing()
    {
        var model = new GruTagger(seed: 3);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4, Optimizer = Optimizers.AdamW(), Clip = Clipping.Adaptive(0.05) });
        float[] inputs = Random(4 * 12, 6);
        float[] targets = Random(4 * 6, 7).Select(v => (v + 1) / 2).ToArray();
        float[] output = new float[6], outputs = new float[4 * 6];
        Allocations.AssertNone("GRU step, evaluation and predictions", () =>
        {
            trainer.Step(inputs, targets);
            trainer.Evaluate(inputs, targets);
            model.Predict(inputs.AsSpan(0, 12), output);
            model.PredictBatch(inputs, outputs);
        }, calls: 1);
    }

    [Fact]
    public void A_wrong_sequence_length_or_NaN_is_refused_and_changes_nothing()
    {
        var model = new StackedLstm(seed: 4);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4, Optimizer = Optimizers.AdamW(1e-2) });
        trainer.Step(Random(4 * 15, 8), Random(4 * 2, 9));
        byte[] parameters = Bits(model.Parameters), checkpoint = trainer.SaveToBytes();

        var predict = Assert.Throws<ArgumentException>(() => model.Predict(new float[14], new float[2]));
        Assert.Contains("15", predict.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.PredictBatch(new float[2 * 15 + 1], new float[2 * 2]));
        Assert.Throws<ArgumentException>(() => trainer.Step(new float[4 * 14], new float[4 * 2]));
        float[] poisoned = Random(4 * 15, 10);
        poisoned[2 * 15 + 7] = float.NaN;
        var step = Assert.Throws<ArgumentException>(() => trainer.Step(poisoned, new float[4 * 2]));
        Assert.Contains("NaN", step.Message, StringComparison.Ordinal);

        Assert.Equal(parameters, Bits(model.Parameters));
        Assert.Equal(checkpoint, trainer.SaveToBytes());
    }

    // The recurrent kernel does not refuse the ∞ a layer before it made: the step runs to the loss, which is not
    // finite, and is refused naming the layer that overflowed, with no exception and no update, as for dense models.
    [Theory]
    [InlineData(NonFinitePolicy.SkipStep)]
    [InlineData(NonFinitePolicy.Throw)]
    public void A_non_finite_value_made_inside_the_network_before_a_recurrent_layer_refuses_the_step_naming_its_layer(NonFinitePolicy policy)
    {
        var model = new DenseIntoLstm(seed: 5);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 2, Optimizer = Optimizers.AdamW(1e-2), OnNonFinite = policy });
        trainer.Step(Random(2 * 6, 20), Random(2, 21));
        model.Embed.Weights.Fill(1f); // every unit sums both features: 2 · 3e38 overflows to ∞
        byte[] parameters = Bits(model.Parameters), moments = Bits(trainer.Optimizer.State[0]), modelFile = model.SaveToBytes();
        long steps = trainer.Steps, updates = trainer.Optimizer.StepCount;
        float[] huge = new float[2 * 6];
        Array.Fill(huge, 3e38f); // finite, so the trainer's input check passes

        if (policy == NonFinitePolicy.Throw)
            Assert.Equal("Embed", Assert.Throws<NonFiniteGradientException>(() => trainer.Step(huge, new float[2])).Layer);
        else
            Assert.False(float.IsFinite(trainer.Step(huge, new float[2])));

        GradientReport report = trainer.LastReport!;
        Assert.False(report.UpdateApplied);
        Assert.Equal("Embed", report.FirstNonFiniteLayer);
        Assert.Equal(Pass.Forward, report.FirstNonFinitePass);
        Assert.Equal(parameters, Bits(model.Parameters));
        Assert.Equal(moments, Bits(trainer.Optimizer.State[0]));
        Assert.Equal(modelFile, model.SaveToBytes());
        Assert.Equal(updates, trainer.Optimizer.StepCount);
        Assert.Equal(steps + 1, trainer.Steps); // Steps counts attempts, a refused one too (docs/checkpoints.md)

        trainer.Step(Random(2 * 6, 22), Random(2, 23));
        Assert.True(trainer.LastReport!.UpdateApplied);
    }

    [Fact]
    public void The_report_holds_every_steps_hidden_gradient_norm()
    {
        var model = new StackedLstm(seed: 5);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4 });
        trainer.Step(Random(4 * 15, 11), Random(4 * 2, 12));
        GradientReport report = trainer.LastReport!;
        for (int layer = 0; layer < 2; layer++)
        {
            ReadOnlySpan<double> norms = report.HiddenGradientNorms(layer);
            Assert.Equal(5, norms.Length);
            Assert.All(norms.ToArray(), n => Assert.True(double.IsFinite(n) && n > 0, $"layer {layer}: ‖∂L/∂h_t‖ = {n}"));
            Assert.Equal(norms[4] / norms[0], report.TimeFlowRatio(layer));
        }
        Assert.True(report.HiddenGradientNorms(2).IsEmpty);
        Assert.True(double.IsNaN(report.TimeFlowRatio(2)));
        Assert.Contains("Encoder: |dL/dh_t| over 5 steps", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Truncation_leaves_early_steps_without_gradient_and_the_ratio_uses_the_first_that_has_some()
    {
        var model = new TruncatedRnn(seed: 6);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4 });
        trainer.Step(Random(4 * 16, 13), [0, 1, 2, 1]);
        GradientReport report = trainer.LastReport!;
        double[] norms = report.HiddenGradientNorms(0).ToArray();
        Assert.Equal(8, norms.Length);
        Assert.All(norms[..5], n => Assert.Equal(0, n));
        Assert.All(norms[5..], n => Assert.True(n > 0));
        Assert.Equal(norms[7] / norms[5], report.TimeFlowRatio(0));
    }

    [Fact]
    public void A_vanishing_gradient_through_time_is_flagged()
    {
        // W_hh scaled far down: h_t barely depends on h_{t−1}, so ‖∂L/∂h_0‖ ≪ ‖∂L/∂h_7‖.
        var model = new TruncatedRnnFull(seed: 7);
        foreach (ref float w in model.Memory.WeightHH)
            w *= 1e-3f;
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4 });
        trainer.Step(Random(4 * 16, 14), [0, 1, 2, 1]);
        GradientReport report = trainer.LastReport!;
        Assert.True(report.TimeFlowRatio(0) > report.Thresholds.FlowRatio, $"ratio {report.TimeFlowRatio(0)}");
        Assert.True((report[0].Flags & GradientFlag.TimeFlow) != 0);
        Assert.False(report.IsHealthy);
        Assert.Contains("vanishes through time", report.ToString(), StringComparison.Ordinal);

        // At PyTorch's init the flag follows the ratio against the same threshold.
        var other = new TruncatedRnnFull(seed: 7);
        var otherTrainer = other.CreateTrainer(new TrainerOptions { MaxBatch = 4 });
        otherTrainer.Step(Random(4 * 16, 14), [0, 1, 2, 1]);
        double ratio = otherTrainer.LastReport!.TimeFlowRatio(0);
        bool beyond = ratio > 100 || ratio < 1e-2;
        Assert.Equal(beyond, (otherTrainer.LastReport[0].Flags & GradientFlag.TimeFlow) != 0);
    }
}
