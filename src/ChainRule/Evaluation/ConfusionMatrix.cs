using System;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Text;

namespace ChainRule.Evaluation;

/// <summary>
/// Counts, for a classifier, how often each true class was predicted as each class: row = true class, column =
/// predicted class, as scikit-learn's <c>confusion_matrix</c>. Adding predictions allocates nothing.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>Creates an empty matrix for <paramref name="classes"/> classes.</summary>
    /// <param name="classes">Number of classes, ≥ 1.</param>
    /// <param name="classNames">Optional names for <see cref="ToString"/>, one per class.</param>
    /// <exception cref="ArgumentException"><paramref name="classes"/> is not positive, or the names are not one per class.</exception>
    public ConfusionMatrix(int classes, string[]? classNames = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (classNames is not null && classNames.Length != classes)
            throw new ArgumentException($"{classNames.Length} class names for {classes} classes.", nameof(classNames));
        Classes = classes;
        ClassNames = classNames;
        _counts = new long[checked(classes * classes)];
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>The names <see cref="ToString"/> prints, or <c>null</c> for the class indices.</summary>
    public string[]? ClassNames { get; }

    /// <summary>Samples counted so far.</summary>
    public long Total { get; private set; }

    /// <summary>Samples counted as predicted correctly: the diagonal's sum.</summary>
    public long Correct { get; private set; }

    /// <summary>How many samples of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">The true class.</param>
    /// <param name="predicted">The predicted class.</param>
    public long this[int actual, int predicted] => _counts[Index(actual, nameof(actual)) * Classes + Index(predicted, nameof(predicted))];

    /// <summary>The fraction predicted correctly, <c>Correct / Total</c>; 0 while empty.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Counts one prediction.</summary>
    /// <param name="actual">The true class, in <c>[0, Classes)</c>.</param>
    /// <param name="predicted">The predicted class, in <c>[0, Classes)</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A class is outside <c>[0, Classes)</c>; nothing is counted.</exception>
    public void Add(int actual, int predicted)
    {
        _counts[Index(actual, nameof(actual)) * Classes + Index(predicted, nameof(predicted))]++;
        Total++;
        if (actual == predicted)
            Correct++;
    }

    /// <summary>Counts a batch: each sample's prediction is the index of its largest logit (the first of equal ones).</summary>
    /// <typeparam name="T">The logits' element type.</typeparam>
    /// <param name="logits">The model's outputs, <c>(batch, Classes)</c>.</param>
    /// <param name="labels">The true classes, <c>(batch)</c>.</param>
    /// <exception cref="ArgumentException">The lengths do not match, or a label is outside <c>[0, Classes)</c>; nothing is counted.</exception>
    public void Add<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels)
        where T : INumber<T>
    {
        Metrics.CheckBatch(logits.Length, labels, Classes);
        for (int i = 0; i < labels.Length; i++)
            Add(labels[i], TensorPrimitives.IndexOfMax(logits.Slice(i * Classes, Classes)));
    }

    /// <summary>Of the samples of <paramref name="actual"/>, the fraction predicted as it (recall); 0 without such samples.</summary>
    /// <param name="actual">The class.</param>
    public double Recall(int actual)
    {
        long row = 0;
        for (int p = 0; p < Classes; p++)
            row += this[actual, p];
        return row == 0 ? 0 : (double)this[actual, actual] / row;
    }

    /// <summary>Of the samples predicted as <paramref name="predicted"/>, the fraction that are it (precision); 0 without such predictions.</summary>
    /// <param name="predicted">The class.</param>
    public double Precision(int predicted)
    {
        long column = 0;
        for (int a = 0; a < Classes; a++)
            column += this[a, predicted];
        return column == 0 ? 0 : (double)this[predicted, predicted] / column;
    }

    /// <summary>Forgets every count.</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        Total = 0;
        Correct = 0;
    }

    /// <summary>
    /// The matrix as a table: one row per true class (its index and name) with its counts and recall, the predicted
    /// classes as column indices, then the accuracy.
    /// </summary>
    public override string ToString()
    {
        const string Corner = "true \\ predicted";
        var rows = new string[Classes];
        int nameWidth = Corner.Length;
        int countWidth = (Classes - 1).ToString(CultureInfo.InvariantCulture).Length;
        for (int c = 0; c < Classes; c++)
        {
            string index = c.ToString(CultureInfo.InvariantCulture);
            rows[c] = ClassNames is null ? index : $"{index} {ClassNames[c]}";
            nameWidth = Math.Max(nameWidth, rows[c].Length);
        }
        foreach (long count in _counts)
            countWidth = Math.Max(countWidth, count.ToString(CultureInfo.InvariantCulture).Length);

        var text = new StringBuilder();
        text.Append(Corner.PadRight(nameWidth));
        for (int p = 0; p < Classes; p++)
            text.Append("  ").Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(countWidth));
        text.Append("  recall\n");
        for (int a = 0; a < Classes; a++)
        {
            text.Append(rows[a].PadRight(nameWidth));
            for (int p = 0; p < Classes; p++)
                text.Append("  ").Append(this[a, p].ToString(CultureInfo.InvariantCulture).PadLeft(countWidth));
            text.Append("  ").Append(Percent(Recall(a)).PadLeft(6)).Append('\n');
        }
        text.Append(CultureInfo.InvariantCulture, $"accuracy {Percent(Accuracy)} ({Correct} of {Total})");
        return text.ToString();
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private int Index(int value, string name)
    {
        if ((uint)value >= (uint)Classes)
            throw new ArgumentOutOfRangeException(name, value, $"A class must be in [0, {Classes}).");
        return value;
    }
}
