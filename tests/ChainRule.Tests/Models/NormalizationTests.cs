using System;
using System.Linq;
using System.Numerics.Tensors;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models;

/// <summary>Depth at initialization, BatchNorm's two modes, and the residual views, through generated models.</summary>
public class NormalizationTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static float[] RandomBatch(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static int[] RandomLabels(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray();
    }

    [Fact]
    public void TwentySigmoidLayersVanish()
    {
        var model = new PlainSigmoid20(1);
        model.CreateTrainer(new TrainerOptions { MaxBatch = 64 }).ComputeGradients(RandomBatch(64, 32, 2), RandomLabels(64, 10, 3));
        float first = TensorPrimitives.Norm<float>(model.Layer0.WeightGradient);
        float last = TensorPrimitives.Norm<float>(model.Layer19.WeightGradient);
        log.WriteLine($"20 × sigmoid: ‖∇W‖ layer 0 {first:E3}, layer 19 {last:E3}, ratio {first / last:E3}");
        Assert.True(last > 0);
        Assert.True(first < 1e-6f * last, $"‖∇W‖ first layer {first:E3}, last sigmoid layer {last:E3}: ratio {first / last:E3}");
    }

    [Fact]
    public void FiftyPreNormResidualBlocksKeepTheGradientFlowing()
    {
        var model = new PreNormResidual50(1);
        model.CreateTrainer(new TrainerOptions { MaxBatch = 64 }).ComputeGradients(RandomBatch(64, 32, 2), RandomLabels(64, 10, 3));
        double BlockNorm(int i)
        {
            ResidualBlock<float> block = model.Body[i];
            double squares = TensorPrimitives.SumOfSquares<float>(block.Up.WeightGradient)
                + TensorPrimitives.SumOfSquares<float>(block.Down.WeightGradient)
                + TensorPrimitives.SumOfSquares<float>(block.Norm.GammaGradient);
            return Math.Sqrt(squares);
        }
        double first = BlockNorm(0), last = BlockNorm(49);
        Assert.True(first > 0 && last > 0);
        double ratio = Math.Max(first, last) / Math.Min(first, last);
        log.WriteLine($"50 × pre-LN residual: ‖∇‖ block 0 {first:E3}, block 49 {last:E3}, ratio {ratio:F2}");
        Assert.True(ratio < 100, $"block 0 ‖∇‖ {first:E3}, block 49 ‖∇‖ {last:E3}, ratio {ratio:F1}");
    }

    [Fact]
    public void BatchNormRunningStatisticsFollowTheMomentumFormula()
    {
        var model = new BatchNormFirst(1);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 5, Optimizer = Optimizers.Sgd(0.01) });
        double[] expectedMean = [0, 0, 0];
        double[] expectedVariance = [1, 1, 1];
        var random = new Random(4);
        for (int step = 0; step < 4; step++)
        {
            double[] inputs = Enumerable.Range(0, 5 * 3).Select(i => random.NextDouble() * 3 + i % 3).ToArray();
            trainer.Step(inputs, new double[5 * 2]);
            for (int f = 0; f < 3; f++)
            {
                double[] column = Enumerable.Range(0, 5).Select(b => inputs[b * 3 + f]).ToArray();
                double mean = column.Average();
                double unbiased = column.Sum(v => (v - mean) * (v - mean)) / 4;
                expectedMean[f] = 0.9 * expectedMean[f] + 0.1 * mean;
                expectedVariance[f] = 0.9 * expectedVariance[f] + 0.1 * unbiased;
            }
        }
        for (int f = 0; f < 3; f++)
        {
            Assert.Equal(expectedMean[f], model.Norm.RunningMean[f], 12);
            Assert.Equal(expectedVariance[f], model.Norm.RunningVariance[f], 12);
        }
    }

    [Fact]
    public void PredictUsesRunningStatisticsAndIgnoresTheRestOfTheBatch()
    {
        var model = new BatchNormFirst(1);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4 });
        trainer.Step([1, 2, 3, 4, 5, 6, -1, 0, 2, 3, 3, 3], new double[8]);
        double[] row = [0.5, -1, 2];
        double[] alone = new double[2];
        model.Predict(row, alone);

        double[] batch = [.. row, 100, 200, 300, -50, 7, 9];
        double[] together = new double[6];
        model.PredictBatch(batch, together);
        Assert.Equal(alone, together.AsSpan(0, 2).ToArray());

        double[] expected = new double[2];
        for (int o = 0; o < 2; o++)
        {
            expected[o] = model.Output.Bias[o];
            for (int f = 0; f < 3; f++)
            {
                double normalized = (row[f] - model.Norm.RunningMean[f]) / Math.Sqrt(model.Norm.RunningVariance[f] + 1e-5) * model.Norm.Gamma[f] + model.Norm.Beta[f];
                expected[o] += model.Output.Weights[o * 3 + f] * normalized;
            }
        }
        Assert.Equal(expected[0], alone[0], 12);
        Assert.Equal(expected[1], alone[1], 12);
    }

    [Fact]
    public void EvaluateUsesRunningStatisticsAndTrainingNeedsTwoRows()
    {
        var model = new BatchNormResidual(3);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.Adam(1e-2) });
        float[] inputs = RandomBatch(8, 4, 5);
        int[] labels = RandomLabels(8, 3, 6);
        for (int i = 0; i < 20; i++)
            trainer.Step(inputs, labels);

        float evaluated = trainer.Evaluate(inputs, labels);
        var logits = new float[8 * 3];
        model.PredictBatch(inputs, logits);
        float expected = ChainRule.Kernels.SoftmaxCrossEntropy.Forward<float>(logits, labels, 8, 3);
        Assert.Equal(expected, evaluated, 5);
        // Evaluation takes a single row (running statistics need no batch): its loss is that row's Predict's.
        var row = new float[3];
        model.Predict(inputs.AsSpan(0, 4), row);
        Assert.Equal(ChainRule.Kernels.SoftmaxCrossEntropy.Forward<float>(row, labels.AsSpan(0, 1), 1, 3), trainer.Evaluate(inputs.AsSpan(0, 4), labels.AsSpan(0, 1)), 5);

        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<ArgumentException>(() => trainer.Step(inputs.AsSpan(0, 4), labels.AsSpan(0, 1)));
        Assert.Contains("needs at least 2 rows", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void ResidualViewsCoverTheParameterBufferBlockByBlock()
    {
        var model = new PreNormResidual50(1);
        ResidualStack<float> body = model.Body;
        Assert.Equal((50, 32, 32), (body.Count, body.Width, body.Hidden));
        Assert.Equal("Body.49.down", body[49].Down.Name);
        Assert.All(body[7].Norm.Gamma.ToArray(), g => Assert.Equal(1f, g));
        Assert.All(body[7].Norm.Beta.ToArray(), b => Assert.Equal(0f, b));
        int expectedCount = 32 * 32 + 32 + 50 * body.ParametersPerBlock + 32 * 10 + 10;
        Assert.Equal(PreNormResidual50.ParameterCount, expectedCount);
        body[3].Up.Bias[5] = 42f;
        Assert.Equal(42f, model.Parameters[32 * 32 + 32 + 3 * body.ParametersPerBlock + 2 * 32 + 32 * 32 + 5]);
        Assert.True(new BatchNormResidual(1).Body[1].Scale.SequenceEqual(new[] { 0f }));
    }

    [Fact]
    public void DeepResidualTrainingAllocatesNothing()
    {
        var model = new BatchNormResidual(1);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 8, Optimizer = Optimizers.AdamW() });
        float[] inputs = RandomBatch(8, 4, 1);
        int[] labels = RandomLabels(8, 3, 2);
        float[] logits = new float[3];
        Allocations.AssertNone("BatchNorm residual step, evaluation and prediction", () =>
        {
            trainer.Step(inputs, labels);
            trainer.Evaluate(inputs, labels);
            model.Predict(inputs.AsSpan(0, 4), logits);
        }, calls: 1);
    }

    [Fact]
    public void Computing_gradients_again_gives_the_same_gradients_not_their_sum()
    {
        // Dense layers overwrite their gradients; BatchNorm's γ, β and ReZero's α accumulate into cleared ranges.
        var model = new BatchNormResidual(5);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 6, Optimizer = Optimizers.Adam(1e-2) });
        float[] inputs = RandomBatch(6, 4, 8);
        int[] labels = RandomLabels(6, 3, 9);
        for (int i = 0; i < 5; i++)
            trainer.Step(inputs, labels); // moves α off zero, so that every gradient is live
        trainer.ComputeGradients(inputs, labels);
        float[] first = model.Gradients.ToArray();
        trainer.ComputeGradients(inputs, labels);
        Assert.Equal(first, model.Gradients.ToArray());
        Assert.True(first.Count(g => g != 0) > first.Length * 9 / 10);
    }
}
