using System;
using System.Numerics;
using System.Numerics.Tensors;
using ChainRule.Training;

namespace ChainRule.Kernels;

// Losses with PyTorch's reduction='mean'. Forward returns the mean loss; ForwardBackward returns it too and writes
// the gradient of that mean with respect to the network's output in the same call, so the trainer never makes a
// separate pass for the loss. Per-sample losses are summed in double.

/// <summary>
/// Softmax followed by cross-entropy against class indices, fused and stable:
/// <c>loss = (1/B) Σ_s [log Σ_c e^(z[s,c] − m_s) − (z[s,label_s] − m_s)]</c> with <c>m_s = max_c z[s,c]</c>,
/// as <c>torch.nn.functional.cross_entropy</c>.
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>Mean over the batch of <c>−log softmax(z[s])[label_s]</c>.</summary>
    /// <param name="logits">Shape <c>(batch, classes)</c>.</param>
    /// <param name="labels">Class indices in <c>[0, classes)</c>, shape <c>(batch)</c>.</param>
    /// <param name="batch">Number of samples, at least 1.</param>
    /// <param name="classes">Number of classes, at least 1.</param>
    /// <returns>The mean loss.</returns>
    public static T Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(logits.Length, labels, batch, classes);
        double total = 0;
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<T> row = logits.Slice(s * classes, classes);
            T max = TensorPrimitives.Max(row);
            double sum = 0;
            for (int c = 0; c < classes; c++)
                sum += double.CreateTruncating(T.Exp(row[c] - max));
            total += Math.Log(sum) - double.CreateTruncating(row[labels[s]] - max);
        }
        return T.CreateTruncating(total / batch);
    }

    /// <summary>
    /// The mean loss, and <c>dlogits[s,c] = (softmax(z[s])[c] − [c = label_s]) / B</c>.
    /// </summary>
    /// <param name="dlogits">Gradient of the mean loss with respect to the logits, shape <c>(batch, classes)</c>; may be <paramref name="logits"/> itself.</param>
    /// <param name="logits">Shape <c>(batch, classes)</c>.</param>
    /// <param name="labels">Class indices in <c>[0, classes)</c>, shape <c>(batch)</c>.</param>
    /// <param name="batch">Number of samples, at least 1.</param>
    /// <param name="classes">Number of classes, at least 1.</param>
    /// <returns>The mean loss.</returns>
    public static T ForwardBackward<T>(Span<T> dlogits, ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ForwardBackward(dlogits, logits, labels, batch, classes, meanOver: batch);

    /// <summary>
    /// <see cref="ForwardBackward{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, int, int)"/> for some rows of a larger
    /// batch (one part of a step split by rows): <c>(1/meanOver) Σ_s loss_s</c> and <c>dlogits = (softmax − onehot) / meanOver</c>,
    /// the same gradient bits as the whole batch's call gives those rows.
    /// </summary>
    /// <param name="dlogits">Gradient of the whole batch's mean loss with respect to these rows' logits, shape <c>(batch, classes)</c>.</param>
    /// <param name="logits">Shape <c>(batch, classes)</c>.</param>
    /// <param name="labels">Class indices in <c>[0, classes)</c>, shape <c>(batch)</c>.</param>
    /// <param name="batch">Rows here, at least 1.</param>
    /// <param name="classes">Number of classes, at least 1.</param>
    /// <param name="meanOver">Rows of the whole batch the mean is taken over, at least <paramref name="batch"/>.</param>
    /// <returns>These rows' share of the whole batch's mean loss.</returns>
    public static T ForwardBackward<T>(Span<T> dlogits, ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int batch, int classes, int meanOver)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(logits.Length, labels, batch, classes);
        ArgumentOutOfRangeException.ThrowIfLessThan(meanOver, batch);
        if (dlogits.Length != logits.Length) Guard.Length(dlogits.Length, logits.Length, $"(batch {batch}, {classes})", nameof(dlogits));
        T inverseBatch = T.One / T.CreateTruncating(meanOver);
        double total = 0;
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<T> row = logits.Slice(s * classes, classes);
            Span<T> gradient = dlogits.Slice(s * classes, classes);
            int label = labels[s];
            T max = TensorPrimitives.Max(row);
            T labelLogit = row[label] - max; // read before the gradient may overwrite it
            TensorPrimitives.Subtract(row, max, gradient);
            TensorPrimitives.Exp(gradient, gradient);
            T sum = TensorPrimitives.Sum(gradient);
            total += Math.Log(double.CreateTruncating(sum)) - double.CreateTruncating(labelLogit);
            TensorPrimitives.Multiply(gradient, inverseBatch / sum, gradient);
            gradient[label] -= inverseBatch;
        }
        return T.CreateTruncating(total / meanOver);
    }

    /// <summary>Row-wise stable softmax: <c>p[s,c] = e^(z[s,c] − m_s) / Σ_c' e^(z[s,c'] − m_s)</c>, <c>m_s = max_c z[s,c]</c>.</summary>
    /// <param name="probabilities">Output, shape <c>(batch, classes)</c>; may be <paramref name="logits"/> itself.</param>
    /// <param name="logits">Shape <c>(batch, classes)</c>.</param>
    /// <param name="batch">Number of rows.</param>
    /// <param name="classes">Number of classes per row, at least 1.</param>
    public static void Softmax<T>(Span<T> probabilities, ReadOnlySpan<T> logits, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        Gemm.CheckLength(logits.Length, batch, classes, nameof(logits), "(batch, classes)");
        Gemm.CheckLength(probabilities.Length, batch, classes, nameof(probabilities), "(batch, classes)");
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<T> row = logits.Slice(s * classes, classes);
            Span<T> output = probabilities.Slice(s * classes, classes);
            T max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, output);
            TensorPrimitives.Exp(output, output);
            TensorPrimitives.Multiply(output, T.One / TensorPrimitives.Sum(output), output);
        }
    }

    private static void Check(int logitsLength, ReadOnlySpan<int> labels, int batch, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        Gemm.CheckLength(logitsLength, batch, classes, "logits", "(batch, classes)");
        if (labels.Length != batch) Guard.Length(labels.Length, batch, $"(batch {batch})", nameof(labels));
        Guard.Labels(labels, classes, nameof(labels));
    }
}

/// <summary>
/// Mean squared error over every element, as <c>torch.nn.functional.mse_loss</c>:
/// <c>loss = (1/(B·F)) Σ (y − t)²</c>.
/// </summary>
public static class MeanSquaredError
{
    /// <summary><c>loss = (1/(B·F)) Σ (y − t)²</c>.</summary>
    /// <param name="output">The network's output <c>y</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="target">The target <c>t</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="batch">Number of samples, at least 1.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <returns>The mean loss.</returns>
    public static T Forward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Losses.Check(output.Length, target.Length, batch, features);
        double total = 0;
        for (int i = 0; i < output.Length; i++)
        {
            double difference = double.CreateTruncating(output[i]) - double.CreateTruncating(target[i]);
            total += difference * difference;
        }
        return T.CreateTruncating(total / output.Length);
    }

    /// <summary>The mean loss, and <c>doutput = 2·(y − t)/(B·F)</c>.</summary>
    /// <param name="doutput">Gradient of the mean loss with respect to the output, shape <c>(batch, features)</c>; may be <paramref name="output"/> itself.</param>
    /// <param name="output">The network's output <c>y</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="target">The target <c>t</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="batch">Number of samples, at least 1.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <returns>The mean loss.</returns>
    public static T ForwardBackward<T>(Span<T> doutput, ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ForwardBackward(doutput, output, target, batch, features, meanOver: batch);

    /// <summary>
    /// <see cref="ForwardBackward{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int)"/> for some rows of a larger batch
    /// (one part of a step split by rows): <c>Σ (y − t)² / (meanOver·F)</c> and <c>doutput = 2·(y − t)/(meanOver·F)</c>.
    /// </summary>
    /// <param name="doutput">Gradient of the whole batch's mean loss with respect to these rows' output, shape <c>(batch, features)</c>.</param>
    /// <param name="output">The network's output <c>y</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="target">The target <c>t</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="batch">Rows here, at least 1.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <param name="meanOver">Rows of the whole batch the mean is taken over, at least <paramref name="batch"/>.</param>
    /// <returns>These rows' share of the whole batch's mean loss.</returns>
    public static T ForwardBackward<T>(Span<T> doutput, ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int features, int meanOver)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Losses.Check(output.Length, target.Length, batch, features);
        ArgumentOutOfRangeException.ThrowIfLessThan(meanOver, batch);
        if (doutput.Length != output.Length) Guard.Length(doutput.Length, output.Length, $"(batch {batch}, {features})", nameof(doutput));
        long count = (long)meanOver * features;
        TensorPrimitives.Subtract(output, target, doutput);
        double loss = double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(doutput)) / count;
        TensorPrimitives.Multiply(doutput, T.CreateTruncating(2.0 / count), doutput);
        return T.CreateTruncating(loss);
    }
}

/// <summary>
/// Binary cross-entropy on logits, averaged over every element, as
/// <c>torch.nn.functional.binary_cross_entropy_with_logits</c>:
/// <c>loss = (1/(B·F)) Σ [max(z, 0) − z·t + log(1 + e^(−|z|))]</c>, stable for any <c>z</c>.
/// </summary>
public static class BinaryCrossEntropyWithLogits
{
    /// <summary><c>loss = (1/(B·F)) Σ [max(z, 0) − z·t + log(1 + e^(−|z|))]</c>.</summary>
    /// <param name="output">The logits <c>z</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="target">Targets <c>t</c> in <c>[0, 1]</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="batch">Number of samples, at least 1.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <returns>The mean loss.</returns>
    public static T Forward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Losses.Check(output.Length, target.Length, batch, features);
        return T.CreateTruncating(Sum(output, target) / output.Length);
    }

    /// <summary>The mean loss, and <c>doutput = (σ(z) − t)/(B·F)</c>.</summary>
    /// <param name="doutput">Gradient of the mean loss with respect to the logits, shape <c>(batch, features)</c>; may be <paramref name="output"/> but not <paramref name="target"/>.</param>
    /// <param name="output">The logits <c>z</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="target">Targets <c>t</c> in <c>[0, 1]</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="batch">Number of samples, at least 1.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <returns>The mean loss.</returns>
    public static T ForwardBackward<T>(Span<T> doutput, ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ForwardBackward(doutput, output, target, batch, features, meanOver: batch);

    /// <summary>
    /// <see cref="ForwardBackward{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int)"/> for some rows of a larger batch
    /// (one part of a step split by rows): the sum over these rows divided by <c>meanOver·F</c>, and <c>doutput = (σ(z) − t)/(meanOver·F)</c>.
    /// </summary>
    /// <param name="doutput">Gradient of the whole batch's mean loss with respect to these rows' logits, shape <c>(batch, features)</c>.</param>
    /// <param name="output">The logits <c>z</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="target">Targets <c>t</c> in <c>[0, 1]</c>, shape <c>(batch, features)</c>.</param>
    /// <param name="batch">Rows here, at least 1.</param>
    /// <param name="features">Features per sample, at least 1.</param>
    /// <param name="meanOver">Rows of the whole batch the mean is taken over, at least <paramref name="batch"/>.</param>
    /// <returns>These rows' share of the whole batch's mean loss.</returns>
    public static T ForwardBackward<T>(Span<T> doutput, ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int features, int meanOver)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Losses.Check(output.Length, target.Length, batch, features);
        ArgumentOutOfRangeException.ThrowIfLessThan(meanOver, batch);
        if (doutput.Length != output.Length) Guard.Length(doutput.Length, output.Length, $"(batch {batch}, {features})", nameof(doutput));
        long count = (long)meanOver * features;
        double loss = Sum(output, target) / count; // before doutput may overwrite the logits
        TensorPrimitives.Sigmoid(output, doutput);
        TensorPrimitives.Subtract(doutput, target, doutput);
        TensorPrimitives.Multiply(doutput, T.One / T.CreateTruncating(count), doutput);
        return T.CreateTruncating(loss);
    }

    private static double Sum<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < output.Length; i++)
        {
            double z = double.CreateTruncating(output[i]);
            double t = double.CreateTruncating(target[i]);
            total += Math.Max(z, 0) - z * t + Losses.LogOnePlus(Math.Exp(-Math.Abs(z)));
        }
        return total;
    }
}

internal static class Losses
{
    public static void Check(int output, int target, int batch, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Gemm.CheckLength(output, batch, features, nameof(output), "(batch, features)");
        Gemm.CheckLength(target, batch, features, nameof(target), "(batch, features)");
    }

    /// <summary>
    /// <c>log(1 + x)</c> accurate for small <c>x</c>: with <c>u = 1 + x</c> rounded, <c>log(u)·x/(u − 1)</c> cancels
    /// the rounding of <c>u</c> (Goldberg 1991, Theorem 4). .NET's <c>LogP1</c> is <c>Log(1 + x)</c>.
    /// </summary>
    public static double LogOnePlus(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}
