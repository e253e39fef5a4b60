using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace ChainRule.Training;

/// <summary>
/// Argument checks the generated models run before they touch any state, so that bad input fails with a
/// message naming the expected shape or the offending index, and leaves the model unchanged.
/// </summary>
public static class Guard
{
    /// <summary>
    /// Throws unless a span holds <paramref name="expected"/> elements. The shape text is built by the caller, so
    /// call it only once the lengths are known to differ, e.g. <c>if (a != b) Guard.Length(...)</c>.
    /// </summary>
    /// <param name="length">Length of the span passed in.</param>
    /// <param name="expected">The length the shape requires.</param>
    /// <param name="shape">The shape in words, e.g. <c>(batch 32, 64)</c>.</param>
    /// <param name="parameterName">The caller's parameter name.</param>
    public static void Length(int length, int expected, string shape, string parameterName)
    {
        if (length != expected)
            throw new ArgumentException($"Expected {expected} elements, shape {shape}; got {length}.", parameterName);
    }

    /// <summary>Throws unless a span of <paramref name="length"/> elements holds exactly <c>rows × columns</c>.</summary>
    /// <param name="length">Length of the span passed in.</param>
    /// <param name="rows">Rows the shape requires (the batch size, or 1).</param>
    /// <param name="columns">Elements per row.</param>
    /// <param name="parameterName">The caller's parameter name.</param>
    public static void Shape(int length, int rows, int columns, string parameterName)
    {
        if (length != rows * columns)
            throw new ArgumentException($"Expected {rows * columns} elements, shape ({rows}, {columns}); got {length}.", parameterName);
    }

    /// <summary>
    /// Derives the batch size from a span of <paramref name="length"/> elements of <paramref name="rowWidth"/>
    /// each and throws unless it is a whole number of rows between 1 and <paramref name="maxBatch"/>.
    /// </summary>
    /// <returns>The batch size.</returns>
    public static int Batch(int length, int rowWidth, int maxBatch, string parameterName)
    {
        if (length == 0 || length % rowWidth != 0)
            throw new ArgumentException($"Expected a whole number of rows of {rowWidth} elements, shape (batch, {rowWidth}); got {length} elements.", parameterName);
        int batch = length / rowWidth;
        if (batch > maxBatch)
            throw new ArgumentException($"A batch of {batch} rows exceeds MaxBatch = {maxBatch}, the size the trainer's workspace was allocated for; shape (batch ≤ {maxBatch}, {rowWidth}).", parameterName);
        return batch;
    }

    /// <summary>
    /// Throws unless a training batch has at least 2 rows: BatchNorm normalizes each feature with the batch's own
    /// statistics, and one row has no variance to estimate (PyTorch refuses it too).
    /// </summary>
    public static void BatchNormTrainingBatch(int batch, string parameterName)
    {
        if (batch < 2)
            throw new ArgumentException($"A training batch of {batch} row cannot be normalized by BatchNorm, which needs at least 2 rows to estimate each feature's variance; shape (batch ≥ 2, features).", parameterName);
    }

    /// <summary>Throws unless every label is a class index in <c>[0, classes)</c>, naming the first that is not.</summary>
    public static void Labels(ReadOnlySpan<int> labels, int classes, string parameterName)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(parameterName, labels[i], $"Label at index {i} is {labels[i]}; class indices must lie in [0, {classes}).");
        }
    }

    /// <summary>Throws unless every value is finite, naming the first NaN or infinity by row and column.</summary>
    public static void Finite<T>(ReadOnlySpan<T> values, int rowWidth, string parameterName)
        where T : IFloatingPointIeee754<T>
    {
        // The vectorized check runs every step; the element-by-element search only when it fails.
        if (TensorPrimitives.IsFiniteAll(values))
            return;
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
                throw new ArgumentException($"Element [{i / rowWidth}, {i % rowWidth}] (index {i}) is {values[i]}; inputs must be finite.", parameterName);
        }
    }
}
