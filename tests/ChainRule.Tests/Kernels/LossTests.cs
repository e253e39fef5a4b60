using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class LossTests
{
    public static TheoryData<int, int> Shapes() => new() { { 1, 1 }, { 1, 3 }, { 3, 7 }, { 7, 17 }, { 5, 33 }, { 2, 65 }, { 3, 130 } };

    private static int[] Labels(Random random, int batch, int classes)
    {
        var labels = new int[batch];
        for (int s = 0; s < batch; s++) labels[s] = random.Next(classes);
        return labels;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SoftmaxCrossEntropy_matches_reference(int batch, int classes)
    {
        Check<float>();
        Check<double>();

        void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 100 + classes);
            T[] logits = NumericAssert.Random<T>(random, batch * classes, scale: 4);
            int[] labels = Labels(random, batch, classes);
            var probabilities = new double[batch * classes];
            var gradient = new double[batch * classes];
            double loss = 0;
            for (int s = 0; s < batch; s++)
            {
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.Exp(double.CreateTruncating(logits[s * classes + c]));
                for (int c = 0; c < classes; c++)
                {
                    double p = Math.Exp(double.CreateTruncating(logits[s * classes + c])) / sum;
                    probabilities[s * classes + c] = p;
                    gradient[s * classes + c] = (p - (c == labels[s] ? 1 : 0)) / batch;
                }
                loss -= Math.Log(probabilities[s * classes + labels[s]]) / batch;
            }
            string label = $"<{typeof(T).Name}> batch={batch} classes={classes}";
            NumericAssert.Close<T>([loss], [SoftmaxCrossEntropy.Forward<T>(logits, labels, batch, classes)], "CE.Forward" + label);
            T[] dlogits = NumericAssert.Random<T>(random, batch * classes);
            T fused = SoftmaxCrossEntropy.ForwardBackward<T>(dlogits, logits, labels, batch, classes);
            NumericAssert.Close<T>([loss], [fused], "CE.ForwardBackward loss" + label);
            NumericAssert.Close<T>(gradient, dlogits, "CE.ForwardBackward gradient" + label);
            var softmax = new T[batch * classes];
            SoftmaxCrossEntropy.Softmax<T>(softmax, logits, batch, classes);
            NumericAssert.Close<T>(probabilities, softmax, "Softmax" + label);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MeanSquaredError_and_BinaryCrossEntropy_match_reference(int batch, int features)
    {
        Check<float>();
        Check<double>();

        void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 31 + features);
            T[] output = NumericAssert.Random<T>(random, batch * features, scale: 5);
            T[] target = NumericAssert.Random<T>(random, batch * features);
            T[] probability = new T[target.Length];
            for (int i = 0; i < target.Length; i++) probability[i] = T.Abs(target[i]);
            int n = batch * features;
            double mse = 0, bce = 0;
            var dmse = new double[n];
            var dbce = new double[n];
            for (int i = 0; i < n; i++)
            {
                double y = double.CreateTruncating(output[i]), t = double.CreateTruncating(target[i]), p = double.CreateTruncating(probability[i]);
                mse += (y - t) * (y - t) / n;
                dmse[i] = 2 * (y - t) / n;
                double sigmoid = 1 / (1 + Math.Exp(-y));
                bce += -(p * Math.Log(sigmoid) + (1 - p) * Math.Log(1 - sigmoid)) / n;
                dbce[i] = (sigmoid - p) / n;
            }
            string label = $"<{typeof(T).Name}> batch={batch} features={features}";
            NumericAssert.Close<T>([mse], [MeanSquaredError.Forward<T>(output, target, batch, features)], "MSE.Forward" + label);
            var gradient = new T[n];
            NumericAssert.Close<T>([mse], [MeanSquaredError.ForwardBackward<T>(gradient, output, target, batch, features)], "MSE.ForwardBackward loss" + label);
            NumericAssert.Close<T>(dmse, gradient, "MSE.ForwardBackward gradient" + label);
            NumericAssert.Close<T>([bce], [BinaryCrossEntropyWithLogits.Forward<T>(output, probability, batch, features)], "BCE.Forward" + label);
            NumericAssert.Close<T>([bce], [BinaryCrossEntropyWithLogits.ForwardBackward<T>(gradient, output, probability, batch, features)], "BCE.ForwardBackward loss" + label);
            NumericAssert.Close<T>(dbce, gradient, "BCE.ForwardBackward gradient" + label);
        }
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        const int batch = 3, classes = 5;
        var random = new Random(17);
        double[] logits = NumericAssert.Random<double>(random, batch * classes, scale: 3);
        int[] labels = [4, 0, 2];
        double[] target = NumericAssert.Random<double>(random, batch * classes);
        double[] probability = Array.ConvertAll(target, Math.Abs);
        var gradient = new double[batch * classes];

        SoftmaxCrossEntropy.ForwardBackward<double>(gradient, logits, labels, batch, classes);
        GradientCheck.AgainstFiniteDifferences(logits, gradient, () => SoftmaxCrossEntropy.Forward<double>(logits, labels, batch, classes), "SoftmaxCrossEntropy");

        MeanSquaredError.ForwardBackward<double>(gradient, logits, target, batch, classes);
        GradientCheck.AgainstFiniteDifferences(logits, gradient, () => MeanSquaredError.Forward<double>(logits, target, batch, classes), "MeanSquaredError");

        BinaryCrossEntropyWithLogits.ForwardBackward<double>(gradient, logits, probability, batch, classes);
        GradientCheck.AgainstFiniteDifferences(logits, gradient, () => BinaryCrossEntropyWithLogits.Forward<double>(logits, probability, batch, classes), "BinaryCrossEntropyWithLogits");
    }

    [Fact]
    public void SoftmaxCrossEntropy_is_stable_for_huge_logits()
    {
        float[] logits = [1000f, -1000f, 0f, -1000f, 1000f, 999f];
        int[] labels = [0, 2];
        // Row 0: log(1 + e^-1000 + e^-2000) ≈ 0. Row 1: max 1000, label logit 999: log(1 + e^-1 + e^-2000) − (999 − 1000).
        double expected = (0 + (Math.Log(1 + Math.Exp(-1)) + 1)) / 2;
        var gradient = new float[6];
        float loss = SoftmaxCrossEntropy.ForwardBackward<float>(gradient, logits, labels, 2, 3);
        Assert.True(float.IsFinite(loss));
        NumericAssert.Close<float>([expected], [loss], "loss with logits ±1000");
        NumericAssert.Close<float>([expected], [SoftmaxCrossEntropy.Forward<float>(logits, labels, 2, 3)], "forward loss with logits ±1000");
        double p0 = 1 / (1 + Math.Exp(-1)), p2 = Math.Exp(-1) / (1 + Math.Exp(-1));
        NumericAssert.Close<float>([0, 0, 0, 0, p0 / 2, (p2 - 1) / 2], gradient, "gradient with logits ±1000");
        var probabilities = new float[6];
        SoftmaxCrossEntropy.Softmax<float>(probabilities, logits, 2, 3);
        NumericAssert.Close<float>([1, 0, 0, 0, p0, p2], probabilities, "softmax with logits ±1000");
    }

    [Fact]
    public void BinaryCrossEntropy_is_stable_for_huge_logits()
    {
        double[] z = [800, -800, 40];
        double[] t = [0, 1, 1];
        double expected = (800 + 800 + Math.Exp(-40)) / 3;
        var gradient = new double[3];
        double loss = BinaryCrossEntropyWithLogits.ForwardBackward<double>(gradient, z, t, 1, 3);
        Assert.Equal(expected, loss, 12);
        NumericAssert.Close<double>([1.0 / 3, -1.0 / 3, -Math.Exp(-40) / 3], gradient, "BCE gradient at huge logits");
    }

    [Fact]
    public void ForwardBackward_may_write_the_gradient_over_the_logits()
    {
        var random = new Random(4);
        double[] logits = NumericAssert.Random<double>(random, 12, 3);
        int[] labels = [1, 3, 0];
        var expected = new double[12];
        double loss = SoftmaxCrossEntropy.ForwardBackward<double>(expected, logits, labels, 3, 4);
        double inPlaceLoss = SoftmaxCrossEntropy.ForwardBackward<double>(logits, logits, labels, 3, 4);
        Assert.Equal(loss, inPlaceLoss, 15);
        NumericAssert.Close<double>(expected, logits, "in-place CE gradient");
    }

    [Fact]
    public void Bad_labels_and_lengths_throw()
    {
        var logits = new float[6];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Forward<float>(logits, [0, 3], 2, 3));
        Assert.Contains("index 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Forward<float>(logits, [0], 2, 3));
        Assert.Throws<ArgumentException>(() => MeanSquaredError.Forward<float>(logits, new float[5], 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCrossEntropyWithLogits.Forward<float>(logits, logits, 0, 3));
    }
}
