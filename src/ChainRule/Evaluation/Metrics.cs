using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace ChainRule.Evaluation;

/// <summary>Classification metrics over a batch of logits, allocation-free.</summary>
public static class Metrics
{
    /// <summary>Counts the samples whose largest logit (the first of equal ones) is at their label.</summary>
    /// <typeparam name="T">The logits' element type.</typeparam>
    /// <param name="logits">The model's outputs, <c>(batch, classes)</c>.</param>
    /// <param name="labels">The true classes, <c>(batch)</c>.</param>
    /// <param name="classes">Logits per sample, e.g. the model's <c>OutputSize</c>.</param>
    /// <returns>The number of correct predictions.</returns>
    /// <exception cref="ArgumentException">The lengths do not match, or a label is outside <c>[0, classes)</c>.</exception>
    public static int CountCorrect<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes)
        where T : INumber<T>
    {
        CheckBatch(logits.Length, labels, classes);
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (TensorPrimitives.IndexOfMax(logits.Slice(i * classes, classes)) == labels[i])
                correct++;
        }
        return correct;
    }

    /// <summary>The fraction of samples whose largest logit is at their label: <c>CountCorrect / batch</c>; 0 for an empty batch.</summary>
    /// <typeparam name="T">The logits' element type.</typeparam>
    /// <param name="logits">The model's outputs, <c>(batch, classes)</c>.</param>
    /// <param name="labels">The true classes, <c>(batch)</c>.</param>
    /// <param name="classes">Logits per sample, e.g. the model's <c>OutputSize</c>.</param>
    /// <returns>The accuracy in <c>[0, 1]</c>.</returns>
    /// <exception cref="ArgumentException">The lengths do not match, or a label is outside <c>[0, classes)</c>.</exception>
    public static double Accuracy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes)
        where T : INumber<T> =>
        labels.Length == 0 ? 0 : (double)CountCorrect(logits, labels, classes) / labels.Length;

    internal static void CheckBatch(int logitCount, ReadOnlySpan<int> labels, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (logitCount != (long)labels.Length * classes)
            throw new ArgumentException($"{logitCount} logits for {labels.Length} labels of {classes} classes; expected {(long)labels.Length * classes}.", "logits");
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException("labels", labels[i], $"Label {i} is {labels[i]}, outside [0, {classes}).");
        }
    }
}
