using System;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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
        // In 64 bits: a wrapped product could match a short span.
        long expected = (long)rows * columns;
        if (length != expected)
            throw new ArgumentException($"Expected {expected} elements, shape ({rows}, {columns}); got {length}.", parameterName);
    }

    /// <summary>
    /// Derives the batch size from a span of <paramref name="length"/> elements of <paramref name="rowWidth"/>
    /// each and throws unless it is a whole number of rows between 1 and <paramref name="maxBatch"/>.
    /// </summary>
    /// <returns>The batch size.</returns>
    public static int Batch(int length, int rowWidth, int maxBatch, string parameterName)
    {
        if (length == 0 || rowWidth < 1 || length % rowWidth != 0)
        {
            if (rowWidth < 1)
                throw new ArgumentOutOfRangeException(nameof(rowWidth), rowWidth, "A row must have ≥ 1 element.");
            throw new ArgumentException($"Expected a whole number of rows of {rowWidth} elements, shape (batch, {rowWidth}); got {length} elements.", parameterName);
        }
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
        if (rowWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(rowWidth), rowWidth, "A row must have ≥ 1 element.");
        // The vectorized check runs every step; the element-by-element search only when it fails.
        if (TensorPrimitives.IsFiniteAll(values))
            return;
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
                throw NotFinite(i, rowWidth, values[i], parameterName);
        }
    }

    private static ArgumentException NotFinite<T>(int index, int rowWidth, T value, string parameterName) =>
        new($"Element [{index / rowWidth}, {index % rowWidth}] (index {index}) is {value}; {parameterName} must be finite.", parameterName);

    /// <summary>
    /// Throws unless every value is a probability in <c>[0, 1]</c>, as binary cross-entropy's targets must be (PyTorch's
    /// <c>BCEWithLogitsLoss</c> takes soft targets in that range), naming the first that is not by row and column.
    /// </summary>
    /// <param name="values">The targets, row-major.</param>
    /// <param name="rowWidth">Elements per row, for the row and column in the message.</param>
    /// <param name="parameterName">The caller's parameter name.</param>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A finite value lies outside <c>[0, 1]</c>.</exception>
    public static void Probabilities<T>(ReadOnlySpan<T> values, int rowWidth, string parameterName)
        where T : IFloatingPointIeee754<T>
    {
        if (rowWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(rowWidth), rowWidth, "A row must have ≥ 1 element.");
        // Min and Max propagate NaN, so the two vectorized passes also catch non-finite values.
        if (values.IsEmpty || (TensorPrimitives.Min(values) >= T.Zero && TensorPrimitives.Max(values) <= T.One))
            return;
        for (int i = 0; i < values.Length; i++)
        {
            T value = values[i];
            if (!T.IsFinite(value))
                throw NotFinite(i, rowWidth, value, parameterName);
            if (value < T.Zero || value > T.One)
                throw new ArgumentOutOfRangeException(parameterName, value, $"Element [{i / rowWidth}, {i % rowWidth}] (index {i}) is {value}; binary cross-entropy's {parameterName} are probabilities and must lie in [0, 1].");
        }
    }

    /// <summary>
    /// The length of each of a trainer's two workspaces (activations and their gradients),
    /// <c>activationsPerSample × MaxBatch + fixedActivations</c>, computed in 64 bits so that a large
    /// <see cref="TrainerOptions.MaxBatch"/> is refused before anything is allocated rather than wrapping around.
    /// </summary>
    /// <typeparam name="T">The model's element type, for the memory the workspaces would take.</typeparam>
    /// <param name="options">The trainer's options.</param>
    /// <param name="activationsPerSample">The model's <c>ActivationsPerSample</c>.</param>
    /// <param name="fixedActivations">The model's <c>FixedActivations</c> (0 without BatchNorm).</param>
    /// <returns>The workspace length in elements.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The workspace would exceed <see cref="Array.MaxLength"/> elements.</exception>
    public static int WorkspaceLength<T>(TrainerOptions options, int activationsPerSample, int fixedActivations)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(activationsPerSample);
        ArgumentOutOfRangeException.ThrowIfNegative(fixedActivations);
        int maxBatch = options.MaxBatch; // below 1 is refused by options.Validate(), with its own message
        long elements = (long)activationsPerSample * maxBatch + fixedActivations;
        if (elements <= Array.MaxLength)
            return (int)Math.Max(elements, 0);
        long bytes = 2 * elements * Unsafe.SizeOf<T>();
        long largest = (Array.MaxLength - (long)fixedActivations) / activationsPerSample;
        string fixedPart = fixedActivations > 0 ? string.Create(CultureInfo.InvariantCulture, $" + {fixedActivations:N0}") : "";
        string allowed = largest >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"so this model allows MaxBatch ≤ {largest:N0}")
            : "so no MaxBatch fits this model";
        throw new ArgumentOutOfRangeException(nameof(TrainerOptions.MaxBatch), maxBatch, string.Create(CultureInfo.InvariantCulture,
            $"MaxBatch = {maxBatch:N0} needs two workspaces (activations and their gradients) of ActivationsPerSample × MaxBatch{(fixedActivations > 0 ? " + FixedActivations" : "")} = {activationsPerSample:N0} × {maxBatch:N0}{fixedPart} = {elements:N0} elements, {bytes:N0} bytes in all; an array holds at most {Array.MaxLength:N0} elements, {allowed}."));
    }
}
