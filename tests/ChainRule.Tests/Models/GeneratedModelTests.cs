using System;
using System.Linq;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models;

/// <summary>Behaviour of models the generator compiled into this test assembly, through their public API.</summary>
public class GeneratedModelTests
{
    private static (float[] Inputs, int[] Labels) Blobs(int count, int seed)
    {
        var random = new Random(seed);
        float[][] centres = [[2, 0, 0, 1], [-2, 1, 0, -1], [0, -2, 2, 0]];
        var inputs = new float[count * 4];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(3);
            for (int j = 0; j < 4; j++)
                inputs[i * 4 + j] = centres[labels[i]][j] + (float)(random.NextDouble() - 0.5);
        }
        return (inputs, labels);
    }

    [Fact]
    public void ConstantsDescribeTheDeclaration()
    {
        Assert.Equal(4, BlobClassifier.InputSize);
        Assert.Equal(3, BlobClassifier.OutputSize);
        Assert.Equal(4 * 16 + 16 + 16 * 3 + 3, BlobClassifier.ParameterCount);
        Assert.Equal(16 + 3, BlobClassifier.ActivationsPerSample); // the ReLU output overwrites its pre-activation
        Assert.Equal(BlobClassifier.ParameterCount, new BlobClassifier(1).Parameters.Length);
    }

    [Fact]
    public void LayerViewsAliasTheParameterAndGradientBuffers()
    {
        var model = new BlobClassifier(3);
        Assert.Equal("Logits", model.Logits.Name);
        Assert.Equal((16, 3), (model.Logits.Inputs, model.Logits.Outputs));
        model.Logits.Bias[2] = 7f;
        Assert.Equal(7f, model.Parameters[4 * 16 + 16 + 16 * 3 + 2]);
        Assert.True(model.Hidden.Weights.SequenceEqual(model.Parameters[..64]));

        var (inputs, labels) = Blobs(8, 1);
        model.CreateTrainer(new TrainerOptions { MaxBatch = 8 }).ComputeGradients(inputs, labels);
        Assert.True(model.Logits.WeightGradient.SequenceEqual(model.Gradients.Slice(80, 48)));
        Assert.Contains(model.Hidden.BiasGradient.ToArray(), g => g != 0);
    }

    [Fact]
    public void SameSeedSameWeightsOtherSeedOtherWeights()
    {
        var a = new BlobClassifier(42);
        var b = new BlobClassifier(42);
        var c = new BlobClassifier(43);
        Assert.True(a.Parameters.SequenceEqual(b.Parameters));
        Assert.False(a.Parameters.SequenceEqual(c.Parameters));
        Assert.All(a.Logits.Bias.ToArray(), bias => Assert.Equal(0f, bias));
    }

    [Fact]
    public void DefaultInitFollowsTheActivation()
    {
        var model = new WideNetwork(7);
        AssertMoments(model.Rectified.Weights, variance: 2.0 / 256);                    // He normal
        AssertMoments(model.Saturating.Weights, variance: 2.0 / (512 + 384));           // Xavier normal
        AssertMoments(model.Overridden.Weights, variance: 6.0 / (384 + 256) / 3);       // Xavier uniform: a²/3
        float bound = MathF.Sqrt(6f / (384 + 256));
        Assert.All(model.Overridden.Weights.ToArray(), w => Assert.InRange(w, -bound, bound));

        static void AssertMoments(ReadOnlySpan<float> weights, double variance)
        {
            double mean = 0, square = 0;
            foreach (float w in weights)
            {
                mean += w;
                square += (double)w * w;
            }
            mean /= weights.Length;
            double sampleVariance = square / weights.Length - mean * mean;
            Assert.InRange(mean, -4 * Math.Sqrt(variance / weights.Length), 4 * Math.Sqrt(variance / weights.Length));
            Assert.InRange(sampleVariance / variance, 0.97, 1.03);
        }
    }

    [Fact]
    public void PredictBatchMatchesPredictRowByRow()
    {
        var model = new BlobClassifier(5);
        var (inputs, _) = Blobs(37, 2);   // more than two prediction chunks, with a ragged tail
        var batch = new float[37 * 3];
        model.PredictBatch(inputs, batch);
        var single = new float[3];
        for (int i = 0; i < 37; i++)
        {
            model.Predict(inputs.AsSpan(i * 4, 4), single);
            Assert.True(single.AsSpan().SequenceEqual(batch.AsSpan(i * 3, 3)), $"row {i}");
        }
    }

    [Fact]
    public void StepAppliesTheOptimizerToTheComputedGradients()
    {
        var model = new BlobClassifier(9);
        var twin = new BlobClassifier(9);
        var (inputs, labels) = Blobs(16, 3);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 16, Optimizer = Optimizers.Sgd(0.5) });
        var probe = twin.CreateTrainer(new TrainerOptions { MaxBatch = 16 });

        float probeLoss = probe.ComputeGradients(inputs, labels);
        float loss = trainer.Step(inputs, labels);

        Assert.Equal(probeLoss, loss);
        for (int i = 0; i < BlobClassifier.ParameterCount; i++)
            Assert.Equal(twin.Parameters[i] - 0.5f * twin.Gradients[i], model.Parameters[i], 1e-6f);
        Assert.Equal(1, trainer.Optimizer.StepCount);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void TrainingSeparatesBlobs(string optimizer)
    {
        var model = new BlobClassifier(11);
        var trainer = model.CreateTrainer(new TrainerOptions
        {
            MaxBatch = 32,
            Optimizer = optimizer switch
            {
                "sgd" => Optimizers.Sgd(0.1, momentum: 0.9, nesterov: true),
                "adam" => Optimizers.Adam(1e-2),
                _ => Optimizers.AdamW(1e-2),
            },
        });
        var (inputs, labels) = Blobs(32, 4);
        float first = trainer.Evaluate(inputs, labels);
        for (int step = 0; step < 100; step++)
            trainer.Step(inputs, labels);
        float last = trainer.Evaluate(inputs, labels);
        Assert.True(last < 0.05f * first, $"loss {first} → {last}");

        var (test, testLabels) = Blobs(200, 5);
        var logits = new float[200 * 3];
        model.PredictBatch(test, logits);
        int correct = Enumerable.Range(0, 200).Count(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(i * 3, 3)) == testLabels[i]);
        Assert.True(correct >= 196, $"{correct}/200 correct");
    }

    [Fact]
    public void RegressionAndBinaryModelsTrain()
    {
        var fitter = new CurveFitter(1);
        var fit = fitter.CreateTrainer(new TrainerOptions { MaxBatch = 64, Optimizer = Optimizers.Adam(2e-2) });
        var random = new Random(6);
        double[] x = Enumerable.Range(0, 64 * 3).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        double[] y = Enumerable.Range(0, 64).SelectMany(i => new[] { Math.Sin(2 * x[i * 3]) + x[i * 3 + 1], x[i * 3 + 2] * x[i * 3] }).ToArray();
        double before = fit.Evaluate(x, y);
        for (int step = 0; step < 300; step++)
            fit.Step(x, y);
        Assert.True(fit.Evaluate(x, y) < 0.05 * before, $"MSE {before} → {fit.Evaluate(x, y)}");

        var detector = new Detector(2);
        var detect = detector.CreateTrainer(new TrainerOptions { MaxBatch = 32, Optimizer = Optimizers.AdamW(3e-2) });
        float[] inputs = Enumerable.Range(0, 32 * 5).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] targets = Enumerable.Range(0, 32).SelectMany(i => new[] { inputs[i * 5] > 0 ? 1f : 0f, inputs[i * 5 + 1] + inputs[i * 5 + 2] > 0 ? 1f : 0f }).ToArray();
        float start = detect.Evaluate(inputs, targets);
        for (int step = 0; step < 300; step++)
            detect.Step(inputs, targets);
        Assert.True(detect.Evaluate(inputs, targets) < 0.2f * start, $"BCE {start} → {detect.Evaluate(inputs, targets)}");
    }
}
