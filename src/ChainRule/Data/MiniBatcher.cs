using System;
using ChainRule.Training;

namespace ChainRule.Data;

/// <summary>
/// Deals in-memory samples into shuffled mini-batches, epoch after epoch, like PyTorch's
/// <c>DataLoader(dataset, batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))</c>: each epoch
/// visits every sample once, in an order that depends only on the seed and the epoch number.
/// </summary>
/// <remarks>
/// The batch is copied into buffers owned by the batcher and reused for every batch, so dealing allocates nothing
/// after construction; <see cref="Inputs"/> and <see cref="Targets"/> are valid until the next <see cref="MoveNext"/>.
/// <code>
/// var batches = new MiniBatcher&lt;float, int&gt;(images.Pixels, images.Width, labels, targetWidth: 1, batchSize: 128, seed: 42);
/// for (int epoch = 0; epoch &lt; 10; epoch++)
/// {
///     batches.Shuffle(epoch);
///     while (batches.MoveNext())
///         trainer.Step(batches.Inputs, batches.Targets);
/// }
/// </code>
/// </remarks>
/// <typeparam name="TInput">The element type of the inputs, e.g. <see cref="float"/>.</typeparam>
/// <typeparam name="TTarget">The element type of the targets: <see cref="int"/> class labels, or the model's element type for regression.</typeparam>
public sealed class MiniBatcher<TInput, TTarget>
{
    private readonly TInput[] _inputs;
    private readonly TTarget[] _targets;
    private readonly TInput[] _batchInputs;
    private readonly TTarget[] _batchTargets;
    private readonly int[] _order;
    private readonly int _seed;
    private int _next;
    private int _rows;

    /// <summary>Creates a batcher over <paramref name="inputs"/> and <paramref name="targets"/>, which it reads but never changes; the first epoch is <see cref="Shuffle"/>(0).</summary>
    /// <param name="inputs">Every sample's inputs, <c>(count, inputWidth)</c>.</param>
    /// <param name="inputWidth">Input values per sample, e.g. the model's <c>InputSize</c>.</param>
    /// <param name="targets">Every sample's targets, <c>(count, targetWidth)</c>.</param>
    /// <param name="targetWidth">Target values per sample: 1 for class labels, the model's <c>OutputSize</c> for regression.</param>
    /// <param name="batchSize">Samples per batch (the last batch of an epoch may hold fewer unless <paramref name="dropLast"/>); at most the trainer's <c>MaxBatch</c>.</param>
    /// <param name="seed">The shuffling seed.</param>
    /// <param name="dropLast">Whether an epoch ends before a last batch smaller than <paramref name="batchSize"/>, as PyTorch's <c>drop_last</c>.</param>
    /// <exception cref="ArgumentException">A width or the batch size is not positive, or the arrays' lengths do not make whole samples of the same count.</exception>
    public MiniBatcher(TInput[] inputs, int inputWidth, TTarget[] targets, int targetWidth, int batchSize, int seed, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (inputs.Length % inputWidth != 0)
            throw new ArgumentException($"The inputs' length {inputs.Length} is not a whole number of samples of width {inputWidth}.", nameof(inputs));
        int count = inputs.Length / inputWidth;
        if (targets.Length != (long)count * targetWidth)
            throw new ArgumentException($"The targets' length {targets.Length} does not match {count} samples of width {targetWidth}.", nameof(targets));

        _inputs = inputs;
        _targets = targets;
        InputWidth = inputWidth;
        TargetWidth = targetWidth;
        BatchSize = batchSize;
        DropLast = dropLast;
        _seed = seed;
        _order = new int[count];
        _batchInputs = new TInput[checked(batchSize * inputWidth)];
        _batchTargets = new TTarget[checked(batchSize * targetWidth)];
        Shuffle(0);
    }

    /// <summary>Number of samples.</summary>
    public int Count => _order.Length;

    /// <summary>Input values per sample.</summary>
    public int InputWidth { get; }

    /// <summary>Target values per sample.</summary>
    public int TargetWidth { get; }

    /// <summary>Samples per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether an epoch skips a last, smaller batch.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? Count / BatchSize : (Count + BatchSize - 1) / BatchSize;

    /// <summary>The epoch the current order belongs to.</summary>
    public int Epoch { get; private set; }

    /// <summary>Samples in the current batch.</summary>
    public int Rows => _rows;

    /// <summary>The current batch's inputs, <c>(Rows, InputWidth)</c>; overwritten by the next <see cref="MoveNext"/>.</summary>
    public ReadOnlySpan<TInput> Inputs => _batchInputs.AsSpan(0, _rows * InputWidth);

    /// <summary>The current batch's targets, <c>(Rows, TargetWidth)</c>; overwritten by the next <see cref="MoveNext"/>.</summary>
    public ReadOnlySpan<TTarget> Targets => _batchTargets.AsSpan(0, _rows * TargetWidth);

    /// <summary>Which sample each row of the current batch is, <c>(Rows)</c>.</summary>
    public ReadOnlySpan<int> Indices => _order.AsSpan(_next - _rows, _rows);

    /// <summary>
    /// Starts <paramref name="epoch"/>: a Fisher–Yates shuffle of all samples drawn from the seed's stream
    /// <paramref name="epoch"/>, so any epoch's order can be reproduced on its own (when resuming, for instance).
    /// </summary>
    /// <param name="epoch">The epoch, ≥ 0.</param>
    public void Shuffle(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        for (int i = 0; i < _order.Length; i++)
            _order[i] = i;
        var random = new DeterministicRandom(_seed, stream: epoch);
        for (int i = _order.Length - 1; i > 0; i--)
        {
            // Lemire's multiply-shift: an index in [0, i] from 64 random bits, bias below 2^-32 for any array.
            int j = (int)Math.BigMul(random.NextUInt64(), (ulong)(i + 1), out _);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
        Epoch = epoch;
        _next = 0;
        _rows = 0;
    }

    /// <summary>Copies the next batch of the epoch into <see cref="Inputs"/> and <see cref="Targets"/>.</summary>
    /// <returns><c>false</c> once the epoch has no batch left (then the batch is empty until the next <see cref="Shuffle"/>).</returns>
    public bool MoveNext()
    {
        int rows = Math.Min(BatchSize, _order.Length - _next);
        if (rows <= 0 || (DropLast && rows < BatchSize))
        {
            _rows = 0;
            _next = _order.Length;
            return false;
        }
        for (int r = 0; r < rows; r++)
        {
            int sample = _order[_next + r];
            _inputs.AsSpan(sample * InputWidth, InputWidth).CopyTo(_batchInputs.AsSpan(r * InputWidth));
            _targets.AsSpan(sample * TargetWidth, TargetWidth).CopyTo(_batchTargets.AsSpan(r * TargetWidth));
        }
        _next += rows;
        _rows = rows;
        return true;
    }
}
