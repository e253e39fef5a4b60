using System;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models;

/// <summary>No allocation per step or prediction; bad input fails clearly and leaves the model as it was.</summary>
public class ReliabilityTests
{
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void StepPredictAndEvaluateAllocateNothingAfterWarmUp(string optimizer)
    {
        var model = new BlobClassifier(1);
        var trainer = model.CreateTrainer(new TrainerOptions
        {
            MaxBatch = 8,
            Optimizer = optimizer switch
            {
                "sgd" => Optimizers.Sgd(0.1, momentum: 0.9, weightDecay: 1e-4),
                "adam" => Optimizers.Adam(),
                _ => Optimizers.AdamW(),
            },
        });
        float[] inputs = new float[8 * 4];
        int[] labels = [0, 1, 2, 0, 1, 2, 0, 1];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = i % 5 - 2;
        float[] logits = new float[3];
        float[] batchLogits = new float[8 * 3];

        void Work()
        {
            trainer.Step(inputs, labels);
            trainer.Step(inputs.AsSpan(0, 12), labels.AsSpan(0, 3));
            trainer.Evaluate(inputs, labels);
            model.Predict(inputs.AsSpan(0, 4), logits);
            model.PredictBatch(inputs, batchLogits);
        }

        Allocations.AssertNone($"{optimizer} steps, evaluation and predictions", Work, calls: 10);

        var fitter = new CurveFitter(1);
        var fit = fitter.CreateTrainer(new TrainerOptions { MaxBatch = 2, Optimizer = Optimizers.Adam() });
        double[] x = [0.1, 0.2, 0.3, -0.1, -0.2, -0.3];
        double[] y = [1, 2, 3, 4];
        double[] prediction = new double[2];
        Allocations.AssertNone("double step and prediction", () =>
        {
            fit.Step(x, y);
            fitter.Predict(x.AsSpan(0, 3), prediction);
        }, calls: 1);
    }

    private static void AssertRejectedAndUnchanged<TException>(Action<BlobClassifier, BlobClassifier.Trainer> badCall, string expectedMessagePart)
        where TException : ArgumentException
    {
        var model = new BlobClassifier(4);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 4, Optimizer = Optimizers.Adam() });
        float[] goodInputs = [1, 2, 3, 4, -1, -2, -3, -4];
        trainer.Step(goodInputs, [0, 2]);
        float[] parameters = model.Parameters.ToArray();
        float[] gradients = model.Gradients.ToArray();

        var exception = Assert.Throws<TException>(() => badCall(model, trainer));
        Assert.Contains(expectedMessagePart, exception.Message, StringComparison.Ordinal);
        Assert.Equal(parameters, model.Parameters.ToArray());
        Assert.Equal(gradients, model.Gradients.ToArray());
        Assert.Equal(1, trainer.Optimizer.StepCount);
    }

    [Fact]
    public void InputsThatAreNotWholeRowsNameTheShape() =>
        AssertRejectedAndUnchanged<ArgumentException>((_, t) => t.Step(new float[7], [0, 1]), "shape (batch, 4); got 7 elements");

    [Fact]
    public void LabelsOfTheWrongCountNameTheShape() =>
        AssertRejectedAndUnchanged<ArgumentException>((_, t) => t.Step(new float[8], [0, 1, 2]), "Expected 2 elements, shape (2, 1); got 3");

    [Fact]
    public void BatchAboveMaxBatchNamesTheLimit() =>
        AssertRejectedAndUnchanged<ArgumentException>((_, t) => t.Step(new float[5 * 4], [0, 1, 2, 0, 1]), "A batch of 5 rows exceeds MaxBatch = 4");

    [Fact]
    public void LabelOutOfRangeNamesTheIndex() =>
        AssertRejectedAndUnchanged<ArgumentOutOfRangeException>((_, t) => t.Step(new float[8], [1, 3]), "Label at index 1 is 3; class indices must lie in [0, 3)");

    [Fact]
    public void NegativeLabelNamesTheIndex() =>
        AssertRejectedAndUnchanged<ArgumentOutOfRangeException>((_, t) => t.ComputeGradients(new float[8], [-1, 0]), "Label at index 0 is -1");

    [Fact]
    public void NonFiniteInputNamesTheElement() =>
        AssertRejectedAndUnchanged<ArgumentException>((_, t) => t.Step([0, 0, 0, 0, 0, float.NaN, 0, 0], [0, 1]), "Element [1, 1] (index 5) is NaN");

    [Fact]
    public void PredictWithWrongSpansNamesTheShape()
    {
        AssertRejectedAndUnchanged<ArgumentException>((m, _) => m.Predict(new float[3], new float[3]), "shape (1, 4); got 3");
        AssertRejectedAndUnchanged<ArgumentException>((m, _) => m.Predict(new float[4], new float[2]), "shape (1, 3); got 2");
        AssertRejectedAndUnchanged<ArgumentException>((m, _) => m.PredictBatch(new float[8], new float[3]), "shape (2, 3); got 3");
    }

    [Fact]
    public void RegressionTargetsOfTheWrongShapeOrNotFiniteAreRejected()
    {
        var fit = new CurveFitter(1).CreateTrainer(new TrainerOptions { MaxBatch = 2 });
        var shape = Assert.Throws<ArgumentException>(() => fit.Step(new double[6], new double[3]));
        Assert.Contains("shape (2, 2); got 3", shape.Message, StringComparison.Ordinal);
        var infinite = Assert.Throws<ArgumentException>(() => fit.Step(new double[6], [0, 0, double.PositiveInfinity, 0]));
        Assert.Contains("Element [1, 0] (index 2) is Infinity", infinite.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidTrainerOptionsAreRejected()
    {
        var model = new BlobClassifier(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateTrainer(new TrainerOptions { MaxBatch = 0 }));
        Assert.Throws<ArgumentNullException>(() => model.CreateTrainer(null!));
    }
}
