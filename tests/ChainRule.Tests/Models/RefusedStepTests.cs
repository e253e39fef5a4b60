using System;
using System.Linq;
using System.Runtime.InteropServices;
using ChainRule.Diagnostics;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models;

/// <summary>BatchNorm on the raw input: a huge finite input overflows its batch variance while the loss stays finite.</summary>
[Network(Inputs = 4, Loss = Loss.SoftmaxCrossEntropy)]
public partial class NormalizedInputs
{
    [BatchNorm] public partial NormLayer<float> Norm { get; }
    [Dense(8, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>
/// A step that is not applied — non-finite loss, gradient, running statistics or update — leaves everything it can touch
/// bit for bit as it was: parameters, running statistics, optimizer state and StepCount (Steps counts the attempt).
/// </summary>
public class RefusedStepTests
{
    private static readonly float[] Inputs = [1, 2, 3, 4, -1, -2, -3, -4, 0.5f, -0.5f, 1.5f, -1.5f, 2, 0, -2, 1];
    private static readonly int[] Labels = [0, 2, 1, 0];

    /// <summary>Everything a step may change, as bytes, so that NaN payloads and −0 compare exactly.</summary>
    /// <remarks><c>Model</c> is the model's checkpoint: it holds BatchNorm's num_batches_tracked, which nothing else shows.</remarks>
    private sealed record State(byte[] Parameters, byte[] Statistics, byte[][] Optimizer, long StepCount, byte[] Prediction, byte[] Model)
    {
        public static State Of<T>(ReadOnlySpan<T> parameters, ReadOnlySpan<T> statistics, Optimizer<T> optimizer, ReadOnlySpan<T> prediction, byte[] model)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            => new(Bytes(parameters), Bytes(statistics), [.. optimizer.State.Select(buffer => Bytes<T>(buffer))], optimizer.StepCount, Bytes(prediction), model);

        public void AssertSame(State after)
        {
            Assert.Equal(Parameters, after.Parameters);
            Assert.Equal(Statistics, after.Statistics);
            Assert.Equal(Model, after.Model);
            Assert.Equal(Optimizer.Length, after.Optimizer.Length);
            for (int i = 0; i < Optimizer.Length; i++)
                Assert.Equal(Optimizer[i], after.Optimizer[i]);
            Assert.Equal(StepCount, after.StepCount);
            Assert.Equal(Prediction, after.Prediction);
        }

        private static byte[] Bytes<T>(ReadOnlySpan<T> values) where T : unmanaged => MemoryMarshal.AsBytes(values).ToArray();
    }

    private static State Snapshot(NormalizedInputs model, NormalizedInputs.Trainer trainer)
    {
        float[] prediction = new float[3];
        model.Predict(Inputs.AsSpan(0, 4), prediction);
        float[] statistics = [.. model.Norm.RunningMean.ToArray(), .. model.Norm.RunningVariance.ToArray()];
        return State.Of<float>(model.Parameters, statistics, trainer.Optimizer, prediction, model.SaveToBytes());
    }

    private static State Snapshot(Monitored model, Monitored.Trainer trainer)
    {
        float[] prediction = new float[3];
        model.Predict(Inputs.AsSpan(0, 6), prediction);
        return State.Of<float>(model.Parameters, [], trainer.Optimizer, prediction, model.SaveToBytes());
    }

    private static State Snapshot(CurveFitter model, CurveFitter.Trainer trainer)
    {
        double[] prediction = new double[2];
        model.Predict([0.1, 0.2, 0.3], prediction);
        return State.Of<double>(model.Parameters, [], trainer.Optimizer, prediction, model.SaveToBytes());
    }

    /// <summary>Rows whose first feature is ±1e38: finite, but its batch variance (≈1e76) is not representable in float.</summary>
    private static float[] HugeInputs()
    {
        float[] inputs = (float[])Inputs.Clone();
        for (int row = 0; row < 4; row++)
            inputs[row * 4] = row % 2 == 0 ? 1e38f : -1e38f;
        return inputs;
    }

    [Theory]
    [InlineData(NonFinitePolicy.SkipStep)]
    [InlineData(NonFinitePolicy.Throw)]
    public void HugeFiniteInputRefusesTheStepNamingTheBatchNormAndKeepsItsStatistics(NonFinitePolicy policy)
    {
        var model = new NormalizedInputs(3);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4, Optimizer = Optimizers.Adam(1e-2), OnNonFinite = policy });
        trainer.Step(Inputs, Labels);
        State before = Snapshot(model, trainer);

        if (policy == NonFinitePolicy.Throw)
        {
            var error = Assert.Throws<NonFiniteGradientException>(() => trainer.Step(HugeInputs(), Labels));
            Assert.Equal("Norm", error.Layer);
            Assert.Equal(Pass.Forward, error.Pass);
        }
        else
        {
            trainer.Step(HugeInputs(), Labels);
        }

        GradientReport report = trainer.LastReport!;
        Assert.False(report.UpdateApplied);
        Assert.False(report.IsHealthy);
        Assert.Equal("Norm", report.FirstNonFiniteLayer);
        Assert.Equal(Pass.Forward, report.FirstNonFinitePass);
        before.AssertSame(Snapshot(model, trainer));
        Assert.Equal(2, trainer.Steps);

        trainer.Step(Inputs, Labels);
        Assert.True(trainer.LastReport!.UpdateApplied);
        Assert.Equal(2, trainer.Optimizer.StepCount);
        Assert.True(model.Norm.RunningVariance.ToArray().All(float.IsFinite));
    }

    [Fact]
    public void ComputeGradientsKeepsTheRunningStatisticsOnlyWhenTheyAndTheLossAreFinite()
    {
        var model = new NormalizedInputs(4);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4 });
        State before = Snapshot(model, trainer);

        trainer.ComputeGradients(HugeInputs(), Labels);
        before.AssertSame(Snapshot(model, trainer));

        trainer.ComputeGradients(Inputs, Labels);
        Assert.NotEqual(before.Statistics, Snapshot(model, trainer).Statistics); // documented: a good batch updates them
    }

    [Theory]
    [InlineData(NonFinitePolicy.SkipStep)]
    [InlineData(NonFinitePolicy.Throw)]
    public void NonFiniteLossIsNamedAsTheLossAndKeepsTheRunningStatistics(NonFinitePolicy policy)
    {
        // Finite outputs, finite targets, but (y − t)² overflows: no layer is to blame, the loss is.
        var model = new BatchNormFirst(2);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 2, Optimizer = Optimizers.Sgd(0.1, momentum: 0.9), OnNonFinite = policy });
        double[] inputs = [0.1, 0.2, 0.3, -0.1, 0.5, 0.2];
        trainer.Step(inputs, [1, 2, 3, 4]);
        double[] statistics = [.. model.Norm.RunningMean.ToArray(), .. model.Norm.RunningVariance.ToArray()];
        double[] prediction = new double[2];
        model.Predict(inputs.AsSpan(0, 3), prediction);
        State before = State.Of<double>(model.Parameters, statistics, trainer.Optimizer, prediction, model.SaveToBytes());

        double[] hugeTargets = [1e200, -1e200, 1e200, 1e200];
        if (policy == NonFinitePolicy.Throw)
        {
            var error = Assert.Throws<NonFiniteGradientException>(() => trainer.Step(inputs, hugeTargets));
            Assert.Equal("loss (MeanSquaredError)", error.Layer);
            Assert.Equal(Pass.Loss, error.Pass);
            Assert.Contains("loss (MeanSquaredError)", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(double.IsInfinity(trainer.Step(inputs, hugeTargets)));
        }

        GradientReport report = trainer.LastReport!;
        Assert.Equal("loss (MeanSquaredError)", report.FirstNonFiniteLayer);
        Assert.Equal(Pass.Loss, report.FirstNonFinitePass);
        Assert.Contains("loss (MeanSquaredError)", report.ToString(), StringComparison.Ordinal);
        Assert.False(report.IsHealthy);
        statistics = [.. model.Norm.RunningMean.ToArray(), .. model.Norm.RunningVariance.ToArray()];
        model.Predict(inputs.AsSpan(0, 3), prediction);
        before.AssertSame(State.Of<double>(model.Parameters, statistics, trainer.Optimizer, prediction, model.SaveToBytes()));
    }

    /// <summary>The base rate for the first update attempted, then <c>base·factor</c>: a way back to sane steps after a refused one.</summary>
    private sealed class FirstAttemptAtBase(double factor) : LearningRateSchedule
    {
        private int _calls;

        public override double LearningRate(long step, double baseLearningRate) => _calls++ == 0 ? baseLearningRate : baseLearningRate * factor;
    }

    /// <summary>The first index at which <paramref name="update"/>(p, g) is not finite, or −1: the test's own reference of the step.</summary>
    private static int FirstNonFinite(float[] parameters, float[] gradients, Func<float, float, float> update)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            if (!float.IsFinite(update(parameters[i], gradients[i])))
                return i;
        }
        return -1;
    }

    private static string LayerOf(Monitored model, int index)
    {
        (string Name, int Count)[] layers =
        [
            ("Hidden", model.Hidden.Weights.Length + model.Hidden.Bias.Length),
            ("Hidden2", model.Hidden2.Weights.Length + model.Hidden2.Bias.Length),
            ("Norm", model.Norm.Gamma.Length + model.Norm.Beta.Length),
            ("Logits", model.Logits.Weights.Length + model.Logits.Bias.Length),
        ];
        foreach (var (name, count) in layers)
        {
            if (index < count)
                return name;
            index -= count;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    public static TheoryData<string, NonFinitePolicy> Overflows => new()
    {
        { "adam", NonFinitePolicy.SkipStep }, { "adam", NonFinitePolicy.Throw },
        { "adamw", NonFinitePolicy.SkipStep }, { "adamw", NonFinitePolicy.Throw },
    };

    [Theory]
    [MemberData(nameof(Overflows))]
    public void AnUpdateThatWouldOverflowIsNotAppliedAndNamesTheLayer(string optimizer, NonFinitePolicy policy)
    {
        // Adam(1e38): lr/(1 − β₁) = 1e39 is ∞ in float. AdamW's lr·wd must stay below 1, so its decay is 1e-39 here.
        OptimizerOptions options = optimizer == "adam" ? Optimizers.Adam(1e38) : Optimizers.AdamW(1e38, weightDecay: 1e-39);
        var model = new Monitored(7);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = options, OnNonFinite = policy, Schedule = new FirstAttemptAtBase(1e-41) });

        // The reference: the first Adam step in float arithmetic, m = (1 − β₁)g, v = (1 − β₂)g², from the same gradients.
        var reference = new Monitored(7);
        reference.CreateTrainer(new TrainerOptions { MaxBatch = 8 }).ComputeGradients(HealthInputs, HealthLabels);
        float stepSize = (float)(-1e38 / (1 - 0.9));
        int expectedIndex = FirstNonFinite(reference.Parameters.ToArray(), reference.Gradients.ToArray(), (p, g) =>
        {
            float m = 0.1f * g, v = 0.001f * g * g;
            return p + stepSize * (m / (MathF.Sqrt(v) / MathF.Sqrt(0.001f) + 1e-8f));
        });
        Assert.True(expectedIndex >= 0, "the reference says this step would be finite");
        State before = Snapshot(model, trainer);

        if (policy == NonFinitePolicy.Throw)
        {
            var error = Assert.Throws<NonFiniteGradientException>(() => trainer.Step(HealthInputs, HealthLabels));
            Assert.Equal(LayerOf(model, expectedIndex), error.Layer);
            Assert.Equal(Pass.Update, error.Pass);
            Assert.Contains("update", error.Message, StringComparison.Ordinal);
        }
        else
        {
            float loss = trainer.Step(HealthInputs, HealthLabels);
            Assert.True(float.IsFinite(loss));
        }

        GradientReport report = trainer.LastReport!;
        Assert.False(report.UpdateApplied);
        Assert.False(report.IsHealthy);
        Assert.True(double.IsFinite(report.Loss) && double.IsFinite(report.TotalNorm));
        Assert.Equal(LayerOf(model, expectedIndex), report.FirstNonFiniteLayer);
        Assert.Equal(Pass.Update, report.FirstNonFinitePass);
        Assert.Contains("update", report.ToString(), StringComparison.Ordinal);
        before.AssertSame(Snapshot(model, trainer));
        Assert.Equal(1, trainer.Steps);
        Assert.Equal(1, trainer.Optimizer.DryRunPasses);

        // The schedule now gives a sane rate: the same trainer, its state untouched, trains on.
        trainer.Step(HealthInputs, HealthLabels);
        Assert.True(trainer.LastReport!.UpdateApplied);
        Assert.Equal(1, trainer.Optimizer.StepCount);
        Assert.True(model.Parameters.ToArray().All(float.IsFinite));
        Assert.NotEqual(before.Parameters, Snapshot(model, trainer).Parameters);
    }

    [Fact]
    public void WithoutAReportTheThrowPolicyStillNamesTheLayerARefusedUpdateWouldHaveBroken()
    {
        var model = new Monitored(7);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Adam(1e38), OnNonFinite = NonFinitePolicy.Throw, Report = false });
        State before = Snapshot(model, trainer);

        var error = Assert.Throws<NonFiniteGradientException>(() => trainer.Step(HealthInputs, HealthLabels));

        Assert.Equal("Hidden", error.Layer); // Adam's step size 1e39 is ∞ in float: element 0 already breaks
        Assert.Equal(Pass.Update, error.Pass);
        before.AssertSame(Snapshot(model, trainer));
    }

    [Theory]
    [InlineData(NonFinitePolicy.SkipStep)]
    [InlineData(NonFinitePolicy.Throw)]
    public void SgdAtLearningRate1e300OnADoubleModelIsRefusedNamingTheLayerThatWouldOverflow(NonFinitePolicy policy)
    {
        // Targets of 1e10 give output gradients near 1e10 (lr·g ≈ 1e310 = ∞). The output weights, made tiny, keep
        // the hidden layer's gradients small, so only the output layer's bias would overflow.
        var model = new CurveFitter(8);
        model.Output.Weights.Fill(1e-20);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 2, Optimizer = Optimizers.Sgd(1e300, momentum: 0.5), OnNonFinite = policy });
        double[] inputs = [0.1, 0.2, 0.3, -0.1, 0.5, 0.2];
        double[] targets = [1e10, -1e10, 2e10, 1e10];

        var reference = new CurveFitter(8);
        reference.Output.Weights.Fill(1e-20);
        reference.CreateTrainer(new TrainerOptions { MaxBatch = 2 }).ComputeGradients(inputs, targets);
        double[] p = reference.Parameters.ToArray(), g = reference.Gradients.ToArray();
        int expectedIndex = -1;
        for (int i = 0; i < p.Length && expectedIndex < 0; i++)
        {
            if (!double.IsFinite(p[i] - 1e300 * g[i]))
                expectedIndex = i;
        }
        int hiddenCount = model.Hidden.Weights.Length + model.Hidden.Bias.Length;
        Assert.True(expectedIndex >= hiddenCount, $"the reference should break only the output layer; first index {expectedIndex}");
        State before = Snapshot(model, trainer);

        if (policy == NonFinitePolicy.Throw)
        {
            var error = Assert.Throws<NonFiniteGradientException>(() => trainer.Step(inputs, targets));
            Assert.Equal("Output", error.Layer);
            Assert.Equal(Pass.Update, error.Pass);
        }
        else
        {
            trainer.Step(inputs, targets);
        }

        Assert.Equal("Output", trainer.LastReport!.FirstNonFiniteLayer);
        Assert.Equal(Pass.Update, trainer.LastReport.FirstNonFinitePass);
        Assert.False(trainer.LastReport.UpdateApplied);
        before.AssertSame(Snapshot(model, trainer));

        var fresh = model.CreateTrainer(new TrainerOptions { MaxBatch = 2, Optimizer = Optimizers.Sgd(1e-3) });
        fresh.Step(inputs, [1, 2, 3, 4]);
        Assert.True(fresh.LastReport!.UpdateApplied);
        Assert.True(model.Parameters.ToArray().All(double.IsFinite));
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("adam-l2")]
    [InlineData("adam-l2-lr-wd-above-1")]
    [InlineData("sgd")]
    public void NormalTrainingNeverRunsTheDryRun(string optimizer)
    {
        var model = new Monitored(9);
        var trainer = model.CreateTrainer(new TrainerOptions
        {
            MaxBatch = 8,
            Optimizer = optimizer switch
            {
                "adamw" => Optimizers.AdamW(1e-2),
                "adam-l2" => Optimizers.Adam(1e-2, weightDecay: 1e-2),
                "adam-l2-lr-wd-above-1" => Optimizers.Adam(1e-2, weightDecay: 200), // allowed for Adam: 1 − lr·wd is no factor of p
                _ => Optimizers.Sgd(0.1, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
            },
        });
        for (int i = 0; i < 100; i++)
            trainer.Step(HealthInputs, HealthLabels);
        Assert.Equal(100, trainer.Optimizer.StepCount);
        Assert.Equal(0, trainer.Optimizer.DryRunPasses);
    }

    [Theory]
    [InlineData("weight")]
    [InlineData("bias")]
    [InlineData("gamma")]
    public void ANaNPutIntoTheParametersRefusesTheStepAndIsNeverHealthy(string where)
    {
        foreach (OptimizerOptions options in new[] { Optimizers.AdamW(1e-2), Optimizers.Adam(1e-2, weightDecay: 1e-2), Optimizers.Sgd(0.1) })
        {
            var model = new Monitored(10);
            var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = options });
            trainer.Step(HealthInputs, HealthLabels);
            string layer;
            switch (where)
            {
                case "weight": model.Hidden.Weights[5] = float.NaN; layer = "Hidden"; break;
                case "bias": model.Logits.Bias[1] = float.NaN; layer = "Logits"; break;
                default: model.Norm.Gamma[2] = float.NaN; layer = "Norm"; break;
            }
            State before = Snapshot(model, trainer);

            trainer.Step(HealthInputs, HealthLabels);

            GradientReport report = trainer.LastReport!;
            Assert.False(report.UpdateApplied);
            Assert.False(report.IsHealthy);
            Assert.Equal(layer, report.FirstNonFiniteLayer);
            before.AssertSame(Snapshot(model, trainer));
        }
    }

    [Fact]
    public void AnInfiniteWeightHiddenByADeadReluStillRefusesTheStepAndIsNotHealthy()
    {
        // Positive inputs and W = −∞ make the unit's pre-activation −∞, which the ReLU turns into 0: loss and
        // gradients stay finite, and only ‖W‖ = ∞ shows the broken parameter.
        float[] inputs = [.. HealthInputs.Select(x => Math.Abs(x) + 0.1f)];
        var model = new Monitored(11);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.AdamW(1e-2) });
        trainer.Step(inputs, HealthLabels);
        model.Hidden.Weights[0] = float.NegativeInfinity;
        State before = Snapshot(model, trainer);

        float loss = trainer.Step(inputs, HealthLabels);

        GradientReport report = trainer.LastReport!;
        Assert.True(float.IsFinite(loss), "the test needs a finite loss");
        Assert.False(report.UpdateApplied);
        Assert.False(report.IsHealthy);
        Assert.Equal("Hidden", report.FirstNonFiniteLayer);
        before.AssertSame(Snapshot(model, trainer));
    }

    /// <summary>A user schedule that returns a fixed rate whatever the base.</summary>
    private sealed class FixedRate(double rate) : LearningRateSchedule
    {
        public override double LearningRate(long step, double baseLearningRate) => rate;
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-1.0)]
    [InlineData(20.0)] // AdamW(wd 0.1): lr·wd = 2 would flip every weight
    public void AScheduleRateTheOptimizerRejectsThrowsBeforeTheStepChangesAnything(double rate)
    {
        var model = new Monitored(12);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.AdamW(1e-2, weightDecay: 0.1), Schedule = new FixedRate(rate) });
        State before = Snapshot(model, trainer);

        var refused = Assert.Throws<InvalidOperationException>(() => trainer.Step(HealthInputs, HealthLabels));
        Assert.IsType<ArgumentOutOfRangeException>(refused.InnerException);

        before.AssertSame(Snapshot(model, trainer));
        Assert.Equal(0, trainer.Steps);
        Assert.Equal(1e-2, trainer.Optimizer.LearningRate);
    }

    private static readonly float[] HealthInputs =
    [
        1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6, 0.5f, -0.5f, 1.5f, -1.5f, 2, 0, 3, 1, 4, 1, 5, 9,
        -2, 6, -5, 3, 5, -8, 9, 7, -9, 3, 2, 3, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, -3, 2, -1, 0, 1, 2,
    ];

    private static readonly int[] HealthLabels = [0, 1, 2, 0, 1, 2, 0, 1];
}
