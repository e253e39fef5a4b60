using System;
using ChainRule.Evaluation;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Evaluation;

public class MetricsTests
{
    // Five samples of three classes. Argmax per row: 1, 0, 2, 2, 0 (row 4 ties 0 and 2: the first wins, as in
    // torch.argmax and numpy.argmax). Labels: 1, 0, 1, 2, 2 → correct: rows 0, 1, 3.
    private static readonly float[] Logits =
    [
        0.1f, 2.0f, -1f,
        3.0f, 0.5f, 0.5f,
        -2f, 0.0f, 4.0f,
        0.0f, 0.1f, 0.2f,
        1.0f, 0.0f, 1.0f,
    ];

    private static readonly int[] Labels = [1, 0, 1, 2, 2];

    [Fact]
    public void Accuracy_counts_argmax_hits_by_hand()
    {
        Assert.Equal(3, Metrics.CountCorrect<float>(Logits, Labels, classes: 3));
        Assert.Equal(0.6, Metrics.Accuracy<float>(Logits, Labels, classes: 3), 12);
        Assert.Equal(0.0, Metrics.Accuracy<double>([], [], classes: 3));
    }

    [Fact]
    public void Confusion_matrix_rows_are_true_classes_columns_predictions()
    {
        var matrix = new ConfusionMatrix(3, ["a", "b", "c"]);
        matrix.Add<float>(Logits, Labels);

        long[,] expected =
        {
            { 1, 0, 0 },   // class 0: predicted 0
            { 0, 1, 1 },   // class 1: predicted 1 and 2
            { 1, 0, 1 },   // class 2: predicted 2 and 0 (the tie)
        };
        for (int a = 0; a < 3; a++)
        {
            for (int p = 0; p < 3; p++)
                Assert.Equal(expected[a, p], matrix[a, p]);
        }
        Assert.Equal((5L, 3L, 0.6), (matrix.Total, matrix.Correct, matrix.Accuracy));
        Assert.Equal(0.5, matrix.Recall(1), 12);
        Assert.Equal(0.5, matrix.Precision(0), 12);
        Assert.Equal(0.5, matrix.Precision(2), 12);
        Assert.Equal(
            "true \\ predicted  0  1  2  recall\n" +
            "0 a               1  0  0  100.0%\n" +
            "1 b               0  1  1   50.0%\n" +
            "2 c               1  0  1   50.0%\n" +
            "accuracy 60.0% (3 of 5)",
            matrix.ToString());
    }

    [Fact]
    public void A_bad_label_or_length_counts_nothing()
    {
        var matrix = new ConfusionMatrix(3);

        Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Add<float>(Logits, [1, 0, 1, 2, 3]));
        Assert.Throws<ArgumentException>(() => matrix.Add<float>(Logits.AsSpan(0, 14), Labels));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.Accuracy<float>(Logits, [0, 0, 0, 0, -1], 3));

        Assert.Equal(0, matrix.Total);
        for (int a = 0; a < 3; a++)
        {
            for (int p = 0; p < 3; p++)
                Assert.Equal(0, matrix[a, p]);
        }
    }

    [Fact]
    public void Epoch_meter_weights_each_batch_by_its_rows()
    {
        EpochProgress? reported = null;
        var meter = new EpochMeter(epochs: 10, p => reported = p);

        meter.Start();
        meter.Add(loss: 1.0, rows: 3);
        meter.Add(loss: 2.0, rows: 1);
        EpochProgress progress = meter.Finish(accuracy: 0.875);

        Assert.Equal(progress, reported);
        Assert.Equal((1, 10, 4L, 0.875), (progress.Epoch, progress.Epochs, progress.Samples, progress.Accuracy));
        Assert.Equal(1.25, progress.Loss, 12);   // (3·1 + 1·2) / 4
        Assert.StartsWith("epoch  1/10: loss 1.2500, accuracy 87.5%, ", progress.ToString(), StringComparison.Ordinal);
    }
}
