using System;
using System.Linq;
using System.Numerics.Tensors;
using ChainRule.Diagnostics;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models;

/// <summary>The generated gradient report, clipping, schedules and the non-finite guard, through a real trainer.</summary>
public class HealthTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static readonly float[] Inputs = Enumerable.Range(0, 8 * 6).Select(i => (float)Math.Sin(i * 1.7) * 2).ToArray();
    private static readonly int[] Labels = [0, 1, 2, 2, 1, 0, 1, 2];

    private static double Norm(ReadOnlySpan<float> values) => Math.Sqrt(TensorPrimitives.SumOfSquares<float>(values));

    [Fact]
    public void ReportNormsEqualNormsOfTheGradientBuffer()
    {
        var model = new Monitored(1);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Sgd(0.1) });
        double hiddenWeightNorm = Norm(model.Hidden.Weights);
        trainer.Step(Inputs, Labels);
        GradientReport report = trainer.LastReport!;

        Assert.Equal(["Hidden", "Hidden2", "Norm", "Logits"], Enumerable.Range(0, report.LayerCount).Select(i => report[i].Name));
        Assert.Equal(Norm(model.Hidden.WeightGradient), report[0].WeightGradientNorm, 5);
        Assert.Equal(Norm(model.Hidden.BiasGradient), report[0].BiasGradientNorm, 5);
        Assert.Equal(Norm(model.Hidden2.WeightGradient), report[1].WeightGradientNorm, 5);
        Assert.Equal(Norm(model.Norm.GammaGradient), report[2].WeightGradientNorm, 5);
        Assert.Equal(Norm(model.Norm.BetaGradient), report[2].BiasGradientNorm, 5);
        Assert.Equal(Norm(model.Logits.WeightGradient), report[3].WeightGradientNorm, 5);
        Assert.Equal(hiddenWeightNorm, report[0].WeightNorm, 5);
        Assert.Equal(Norm(model.Gradients), report.TotalNorm, 5);
        Assert.True(report.UpdateApplied);
        Assert.Equal(1, report.Step);
    }

    [Fact]
    public void DeadFractionCountsReluZerosOverTheBatch()
    {
        var model = new Monitored(2);
        for (int unit = 0; unit < 5; unit++)
            model.Hidden.Bias[unit] = -1000f;
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Sgd(1e-9), Health = new HealthThresholds { DeadFraction = 0.25 } });
        trainer.Step(Inputs, Labels);
        Assert.Equal(-1000f, model.Hidden.Bias[0], 3);

        int zeros = 0;
        for (int b = 0; b < 8; b++)
        {
            for (int unit = 0; unit < 16; unit++)
            {
                double pre = model.Hidden.Bias[unit];
                for (int i = 0; i < 6; i++)
                    pre += (double)Inputs[b * 6 + i] * model.Hidden.Weights[unit * 6 + i];
                if (pre <= 0)
                    zeros++;
            }
        }
        GradientReport report = trainer.LastReport!;
        Assert.Equal(zeros / 128.0, report[0].DeadFraction, 6);
        Assert.True(report[0].Flags.HasFlag(GradientFlag.DeadUnits));
        Assert.True(double.IsNaN(report[1].DeadFraction));
    }

    [Fact]
    public void HookSeesEveryStep()
    {
        var model = new Monitored(3);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8 });
        float first = trainer.Step(Inputs, Labels);
        trainer.Step(Inputs, Labels);
        Assert.Equal(2, model.Seen.Count);
        Assert.Equal((1L, (double)first, true), model.Seen[0]);
        Assert.Equal(2, model.Seen[1].Step);
    }

    [Fact]
    public void InjectedNaNIsReportedAtItsLayerAndNoWeightChanges()
    {
        var model = new Monitored(4);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Adam(1e-2) });
        trainer.Step(Inputs, Labels);
        model.Hidden2.Weights[3] = float.NaN;
        float[] before = model.Parameters.ToArray();

        float loss = trainer.Step(Inputs, Labels);

        GradientReport report = trainer.LastReport!;
        log.WriteLine(report.ToString());
        Assert.True(float.IsNaN(loss));
        Assert.Equal("Hidden2", report.FirstNonFiniteLayer);
        Assert.Equal(Pass.Forward, report.FirstNonFinitePass);
        Assert.False(report.UpdateApplied);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(1, trainer.Optimizer.StepCount);
        Assert.Equal(2, trainer.Steps);
        Assert.Contains("Hidden2", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowPolicyNamesTheLayerAndStep()
    {
        var model = new Monitored(5);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, OnNonFinite = NonFinitePolicy.Throw });
        model.Norm.Gamma[0] = float.PositiveInfinity;
        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<NonFiniteGradientException>(() => trainer.Step(Inputs, Labels));
        Assert.Equal("Norm", error.Layer);
        Assert.Equal(Pass.Forward, error.Pass);
        Assert.Equal(1, error.Step);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void GlobalNormClippingScalesLikeClipGradNorm()
    {
        var clipped = new Monitored(6);
        var reference = new Monitored(6);
        var trainer = clipped.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Sgd(1.0), Clip = Clipping.GlobalNorm(0.05) });
        reference.CreateTrainer(new TrainerOptions { MaxBatch = 8 }).ComputeGradients(Inputs, Labels);
        double total = Norm(reference.Gradients);
        Assert.True(total > 0.05, $"the test needs a gradient over the limit; total {total}");

        trainer.Step(Inputs, Labels);

        double coefficient = 0.05 / (total + 1e-6);
        Assert.Equal(total, trainer.LastReport!.TotalNorm, 5);
        for (int i = 0; i < Monitored.ParameterCount; i++)
        {
            Assert.Equal(reference.Gradients[i] * coefficient, clipped.Gradients[i], 6);
            Assert.Equal(reference.Parameters[i] - reference.Gradients[i] * coefficient, clipped.Parameters[i], 5);
        }
    }

    [Fact]
    public void GlobalNormClippingLeavesSmallGradientsAlone()
    {
        var clipped = new Monitored(6);
        var reference = new Monitored(6);
        clipped.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Sgd(1.0), Clip = Clipping.GlobalNorm(1e6) }).Step(Inputs, Labels);
        reference.CreateTrainer(new TrainerOptions { MaxBatch = 8 }).ComputeGradients(Inputs, Labels);
        Assert.Equal(reference.Gradients.ToArray(), clipped.Gradients.ToArray());
    }

    [Fact]
    public void AdaptiveClippingTouchesOnlyUnitsOverLambda()
    {
        var clipped = new Monitored(7);
        var reference = new Monitored(7);
        reference.CreateTrainer(new TrainerOptions { MaxBatch = 8 }).ComputeGradients(Inputs, Labels);
        double[] ratios = Enumerable.Range(0, 16)
            .Select(unit => Norm(reference.Hidden.WeightGradient.Slice(unit * 6, 6)) / Math.Max(Norm(reference.Hidden.Weights.Slice(unit * 6, 6)), 1e-3))
            .Order().ToArray();
        double lambda = (ratios[7] + ratios[8]) / 2;   // half the units above, half below
        clipped.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Sgd(1e-9), Clip = Clipping.Adaptive(lambda) }).Step(Inputs, Labels);

        int clippedUnits = 0, untouched = 0;
        for (int unit = 0; unit < 16; unit++)
        {
            ReadOnlySpan<float> g = reference.Hidden.WeightGradient.Slice(unit * 6, 6);
            ReadOnlySpan<float> w = reference.Hidden.Weights.Slice(unit * 6, 6);
            ReadOnlySpan<float> after = clipped.Hidden.WeightGradient.Slice(unit * 6, 6);
            double ratio = Norm(g) / Math.Max(Norm(w), 1e-3);
            if (ratio > lambda)
            {
                clippedUnits++;
                Assert.Equal(lambda, Norm(after) / Math.Max(Norm(w), 1e-3), 4);
            }
            else
            {
                untouched++;
                Assert.True(g.SequenceEqual(after), $"unit {unit} was under λ and must not change");
            }
        }
        Assert.True(clippedUnits > 0 && untouched > 0, $"{clippedUnits} clipped, {untouched} untouched: choose λ between them");
    }

    [Fact]
    public void ScheduleSetsTheLearningRateOfEachStep()
    {
        var model = new Monitored(8);
        var trainer = model.CreateTrainer(new TrainerOptions
        {
            MaxBatch = 8,
            Optimizer = Optimizers.AdamW(1e-3),
            Schedule = Schedules.WarmupCosine(warmupSteps: 4, totalSteps: 12, minLearningRate: 1e-5),
        });
        for (int step = 0; step < 14; step++)
        {
            trainer.Step(Inputs, Labels);
            double expected = step < 4
                ? 1e-3 * step / 4
                : 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, (step - 4) / 8.0)));
            Assert.Equal(expected, trainer.LastReport!.LearningRate, 12);
            Assert.Equal(expected, trainer.Optimizer.LearningRate, 12);
        }
    }

    [Fact]
    public void VanishingNetworkIsFlaggedWithItsRatio()
    {
        var model = new PlainSigmoid20(1);
        var random = new Random(2);
        float[] inputs = Enumerable.Range(0, 16 * 32).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 16 });
        trainer.Step(inputs, labels);
        GradientReport report = trainer.LastReport!;
        log.WriteLine(report.ToString());
        Assert.True(report[0].Flags.HasFlag(GradientFlag.Vanishing));
        Assert.True(report.HasFlowProblem);
        Assert.True(report.MaxMinRatio > 1e6);
        string table = report.ToString();
        Assert.Contains("Layer0", table, StringComparison.Ordinal);
        Assert.Contains("gradient flow problem", table, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportingStepsAllocateNothing()
    {
        foreach (ClippingOptions clip in new[] { Clipping.None, Clipping.GlobalNorm(0.1), Clipping.Value(0.01), Clipping.Adaptive(0.01) })
        {
            var model = new Monitored(9);
            var trainer = model.CreateTrainer(new TrainerOptions
            {
                // Long enough that the measured steps, after the warm-up's, are still on the decay and not at its end.
                MaxBatch = 8, Optimizer = Optimizers.AdamW(), Clip = clip, Schedule = Schedules.WarmupLinear(2, 1000),
            });
            Allocations.AssertNone($"steps clipped by {clip}", () => trainer.Step(Inputs, Labels), calls: 2);
        }
    }

    [Fact]
    public void ReportCanBeTurnedOff()
    {
        var model = new Monitored(10);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Report = false });
        trainer.Step(Inputs, Labels);
        Assert.Null(trainer.LastReport);
        Assert.Empty(model.Seen);
    }
}
