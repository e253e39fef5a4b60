using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace ChainRule.Serialization;

/// <summary>Which of a model's buffers a checkpoint tensor lives in.</summary>
public enum CheckpointBuffer
{
    /// <summary>The model's <c>Parameters</c>: weights, biases, norms' γ and β, ReZero's α.</summary>
    Parameters = 0,
    /// <summary>BatchNorm's running mean and variance.</summary>
    Statistics = 1,
    /// <summary>BatchNorm's <c>num_batches_tracked</c> counters, one per BatchNorm, stored as I64 scalars.</summary>
    BatchesTracked = 2,
}

/// <summary>
/// One tensor of a model's checkpoint: its PyTorch <c>state_dict()</c> name, the buffer and offset it occupies in the
/// model, and its shape. Generated models hold a static table of these.
/// </summary>
public sealed class CheckpointTensor
{
    private CheckpointTensor(string name, CheckpointBuffer buffer, int offset, long[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        long length = 1;
        foreach (long dimension in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dimension, nameof(shape));
            length = checked(length * dimension);
        }
        Name = name;
        Buffer = buffer;
        Offset = offset;
        Shape = Array.AsReadOnly(shape);
        Length = checked((int)length);
    }

    /// <summary>A tensor in the model's parameter buffer.</summary>
    /// <param name="name">Its name, e.g. <c>Hidden.weight</c>.</param>
    /// <param name="offset">Its first element in the parameter buffer.</param>
    /// <param name="shape">Its dimensions, row-major, e.g. <c>[out, in]</c> for a weight.</param>
    /// <returns>The entry.</returns>
    public static CheckpointTensor Parameter(string name, int offset, long[] shape) => new(name, CheckpointBuffer.Parameters, offset, [.. shape]);

    /// <summary>A tensor in the model's running-statistics buffer.</summary>
    /// <param name="name">Its name, e.g. <c>Norm.running_mean</c>.</param>
    /// <param name="offset">Its first element in the statistics buffer.</param>
    /// <param name="shape">Its dimensions.</param>
    /// <returns>The entry.</returns>
    public static CheckpointTensor Statistic(string name, int offset, long[] shape) => new(name, CheckpointBuffer.Statistics, offset, [.. shape]);

    /// <summary>A BatchNorm's <c>num_batches_tracked</c>, an I64 scalar as in PyTorch.</summary>
    /// <param name="name">Its name, e.g. <c>Norm.num_batches_tracked</c>.</param>
    /// <param name="index">Which of the model's counters it is.</param>
    /// <returns>The entry.</returns>
    public static CheckpointTensor BatchesTracked(string name, int index) => new(name, CheckpointBuffer.BatchesTracked, index, []);

    /// <summary>The tensor's name in the file.</summary>
    public string Name { get; }

    /// <summary>The buffer it lives in.</summary>
    public CheckpointBuffer Buffer { get; }

    /// <summary>Its first element in <see cref="Buffer"/>.</summary>
    public int Offset { get; }

    /// <summary>Its dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Its element count, the product of <see cref="Shape"/>.</summary>
    public int Length { get; }
}

/// <summary>
/// A model's checkpoint layout: its architecture (without the element type, so a float model loads a double
/// checkpoint and the other way round) and every tensor it saves and loads.
/// </summary>
/// <remarks>
/// Trainer checkpoints add tensors under <see cref="OptimizerPrefix"/> and <see cref="TrainerPrefix"/>. Those prefixes
/// contain <c>/</c>, which no C# identifier can hold, while every model tensor's name begins with a layer's name
/// (an identifier) followed by <c>.</c>, so no layer name can produce a reserved tensor name.
/// </remarks>
public sealed class CheckpointLayout
{
    /// <summary>The prefix of a trainer checkpoint's optimizer tensors: <c>optimizer/exp_avg/Hidden.weight</c>, <c>optimizer/step</c>.</summary>
    public const string OptimizerPrefix = "optimizer/";

    /// <summary>The prefix of a trainer checkpoint's own counters: <c>trainer/steps</c>.</summary>
    public const string TrainerPrefix = "trainer/";

    /// <summary>Creates a layout, checking that names are unique and none is reserved.</summary>
    /// <param name="architecture">The network's description without its element type, stored as metadata and compared on load.</param>
    /// <param name="tensors">Every tensor, in the order they are saved.</param>
    /// <exception cref="ArgumentException">A name is repeated or starts with a reserved prefix.</exception>
    public CheckpointLayout(string architecture, CheckpointTensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (CheckpointTensor tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            if (IsReserved(tensor.Name))
                throw new ArgumentException($"Tensor '{tensor.Name}' uses a prefix reserved for trainer state.", nameof(tensors));
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"Tensor '{tensor.Name}' appears twice.", nameof(tensors));
        }
        Architecture = architecture;
        Tensors = new ReadOnlyCollection<CheckpointTensor>([.. tensors]);
    }

    /// <summary>The network's description, without the element type.</summary>
    public string Architecture { get; }

    /// <summary>Every tensor, in the order they are saved.</summary>
    public IReadOnlyList<CheckpointTensor> Tensors { get; }

    /// <summary>Whether <paramref name="name"/> belongs to a trainer's state rather than to a model.</summary>
    /// <param name="name">A tensor's name.</param>
    /// <returns><see langword="true"/> for names under <see cref="OptimizerPrefix"/> or <see cref="TrainerPrefix"/>.</returns>
    public static bool IsReserved(string name) =>
        name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) || name.StartsWith(TrainerPrefix, StringComparison.Ordinal);
}
