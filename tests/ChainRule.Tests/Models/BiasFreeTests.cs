using System;
using System.Linq;
using ChainRule.Tests.Serialization;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models;

/// <summary>The gradient report of dense layers declared <c>Bias = false</c>: no bias norm, and a total norm of what exists.</summary>
public class BiasFreeTests
{
    [Fact]
    public void The_report_has_no_bias_norm_and_the_total_norm_covers_exactly_the_parameters_there_are()
    {
        var model = new BiasFree(seed: 2);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = CheckpointFiles.Rows, Optimizer = Optimizers.Sgd(1e-2) });
        var (inputs, labels) = CheckpointFiles.Batch<float>(0);
        trainer.ComputeGradients(inputs, labels);
        double expectedTotal = Math.Sqrt(model.Gradients.ToArray().Sum(g => (double)g * g));
        trainer.Step(inputs, labels);
        var report = trainer.LastReport!;
        // Layers in LayerNames order: Hidden, Projection, Batch, Logits; only the BatchNorm has a bias (β).
        foreach (int layer in new[] { 0, 1, 3 })
        {
            Assert.True(double.IsNaN(report[layer].BiasGradientNorm), $"{report[layer].Name}: {report[layer].BiasGradientNorm}");
            Assert.True(report[layer].WeightGradientNorm > 0, report[layer].Name);
        }
        Assert.True(report[2].BiasGradientNorm > 0);
        Assert.Equal(Math.Sqrt(model.Logits.WeightGradient.ToArray().Sum(g => (double)g * g)), report[3].WeightGradientNorm, 6);
        Assert.Equal(expectedTotal, report.TotalNorm, 6);
        Assert.True(report.UpdateApplied);
    }
}
