using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using ChainRule.Diagnostics;
using ChainRule.Kernels;

namespace ChainRule.Training;

/// <summary>
/// What one part of a training step split by rows works on: its rows of the batch, its own workspace and gradient
/// buffer, and the report its forward pass counts dead units into.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public readonly ref struct BatchPart<T>
    where T : unmanaged
{
    internal BatchPart(int index, int rows, int batch, Span<T> activations, Span<T> activationGradients, Span<T> gradients, GradientReport? report, Span<double> weightNorms)
    {
        Index = index;
        Rows = rows;
        Batch = batch;
        Activations = activations;
        ActivationGradients = activationGradients;
        Gradients = gradients;
        Report = report;
        WeightNorms = weightNorms;
    }

    /// <summary>The part's number, from 0; part 0 runs on the calling thread.</summary>
    public int Index { get; }

    /// <summary>The part's rows: the batch size its kernels see.</summary>
    public int Rows { get; }

    /// <summary>The whole batch, which the loss's mean is taken over.</summary>
    public int Batch { get; }

    /// <summary>The part's activation workspace, laid out as the trainer's for <see cref="Rows"/> rows.</summary>
    public Span<T> Activations { get; }

    /// <summary>The part's workspace for the activations' gradients.</summary>
    public Span<T> ActivationGradients { get; }

    /// <summary>The part's parameter gradients, laid out like the model's (part 0's are the model's own).</summary>
    public Span<T> Gradients { get; }

    /// <summary>Where the part's forward pass counts dead units; null when the step keeps no report.</summary>
    public GradientReport? Report { get; }

    /// <summary>Where the forward pass stores each dense layer's <c>‖W‖</c>: the model's for part 0 with a report, else empty (not measured).</summary>
    public Span<double> WeightNorms { get; }
}

/// <summary>
/// Runs one part of a split training step: the part's rows through the forward pass, the loss (a mean over the whole
/// batch) and, when that is finite, the backward pass into the part's gradients.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
/// <typeparam name="TTarget">The loss's target: <see cref="int"/> labels or <typeparamref name="T"/> targets.</typeparam>
/// <param name="part">The part's rows and buffers.</param>
/// <param name="inputs">The part's rows of the inputs.</param>
/// <param name="targets">The part's rows of the labels or targets.</param>
/// <returns>The part's share of the batch's mean loss: <c>Σ_rows loss / batch</c>.</returns>
public delegate T BatchPartRunner<T, TTarget>(BatchPart<T> part, ReadOnlySpan<T> inputs, ReadOnlySpan<TTarget> targets)
    where T : unmanaged;

/// <summary>When a generated trainer splits its step by rows (docs/performance.md, "Training steps across cores").</summary>
public static class BatchSplit
{
    /// <summary>
    /// Forward multiply-adds of a batch (rows × the model's per-sample multiply-adds) from which a step is split: 1 M, a
    /// step of some 3 M multiply-adds. Below it the step is so short that the split's fixed costs (waking the workers,
    /// summing the parts' gradients) are a large share of it.
    /// </summary>
    internal static long MinMultiplyAdds { get; set; } = 1L << 20;

    /// <summary>
    /// Forward multiply-adds per parameterized layer (over the batch) from which a step is no longer split: 32 M, from
    /// which one product splits across the threads on its own (<see cref="Gemm.ParallelMinMultiplyAdds"/>). Split by
    /// rows, every part packs every weight matrix and streams it from the shared cache; run whole, each product splits
    /// by columns and each thread packs only its share (W4, 1024-wide layers at batch 256: 4–7% faster at 2 threads).
    /// </summary>
    internal static long MaxLayerMultiplyAdds { get; set; } = Gemm.ParallelMinMultiplyAdds;

    /// <summary>The fewest rows a part gets: fewer rows make each part's products too small to run at speed.</summary>
    internal static int MinRowsPerPart { get; set; } = 8;

    /// <summary>Steps run split so far (for tests: a step that silently ran unsplit would give the same numbers).</summary>
    internal static long SplitSteps { get; set; }

    /// <summary>
    /// The parts a step of <paramref name="batch"/> rows splits into: 1 (not split) with one thread, for a small step, or
    /// for one whose layers are wide enough that each product splits on its own; else up to
    /// <see cref="Gemm.ThreadCount"/>, with at least <see cref="MinRowsPerPart"/> rows each.
    /// </summary>
    /// <param name="batch">The step's rows.</param>
    /// <param name="multiplyAddsPerSample">The model's forward multiply-adds per sample (every dense layer's inputs × outputs).</param>
    /// <param name="layers">The model's parameterized layers, over which those multiply-adds are spread.</param>
    /// <returns>The part count, at least 1.</returns>
    public static int Parts(int batch, long multiplyAddsPerSample, int layers)
    {
        int threads = WorkerPool.Threads;
        long multiplyAdds = batch * multiplyAddsPerSample;
        if (threads < 2 || batch < 2 || multiplyAdds < MinMultiplyAdds || multiplyAdds / Math.Max(1, layers) >= MaxLayerMultiplyAdds)
            return 1;
        return Math.Clamp(batch / Math.Max(1, MinRowsPerPart), 1, threads);
    }
}

/// <summary>
/// A generated trainer's step split by rows across the worker pool: each part runs its rows through the whole forward
/// and backward pass into its own workspace and gradients; the parts' gradients are then summed in part order, so the
/// result depends on the part count but never on timing. Buffers for the parts beyond the first are allocated when a
/// step first needs them (once per increase of <see cref="Gemm.ThreadCount"/>), never per step.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
/// <typeparam name="TTarget">The loss's target: <see cref="int"/> labels or <typeparamref name="T"/> targets.</typeparam>
public sealed unsafe class BatchSplit<T, TTarget>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TTarget : unmanaged
{
    /// <summary>Gradient elements summed, and their squares taken, while in L1: 4096, as <see cref="Norms"/> blocks.</summary>
    private const int Chunk = Norms.Block;

    private readonly int _maxBatch, _activationsPerSample, _fixedActivations, _inputWidth, _targetWidth, _parameterCount;
    private readonly long _multiplyAddsPerSample;
    private readonly string[] _layerNames;
    private readonly T[] _activations, _activationGradients, _gradients;
    private readonly BatchPartRunner<T, TTarget> _runner;
    private readonly int[] _chunkStarts, _segmentChunks;
    private readonly double[] _chunkSquares, _segmentSquares;
    private readonly Action<int> _runPart, _sumPart;
    private readonly T[] _losses = new T[WorkerPool.MaxThreads];
    private readonly int[] _rows = new int[WorkerPool.MaxThreads + 1];
    private T[][] _partActivations = [], _partActivationGradients = [], _partGradients = [];
    private GradientReport[] _partReports = [];

    // The step in flight: pinned by the calling thread, which waits for every part.
    private T* _inputs;
    private TTarget* _targets;
    private int _batch, _parts;
    private GradientReport? _report;
    private double[]? _weightNorms;

    /// <summary>Creates the split for one trainer; part 0 works in the trainer's own buffers.</summary>
    /// <param name="maxBatch">The trainer's MaxBatch.</param>
    /// <param name="activationsPerSample">The model's workspace values per sample.</param>
    /// <param name="fixedActivations">The model's workspace values independent of the batch.</param>
    /// <param name="inputWidth">Input values per sample.</param>
    /// <param name="targetWidth">Target values per sample (1 for labels).</param>
    /// <param name="multiplyAddsPerSample">The model's forward multiply-adds per sample, for <see cref="BatchSplit.Parts"/>.</param>
    /// <param name="gradientSegments">
    /// Where each parameter tensor starts in the gradient buffer, ascending from 0: the split reports each tensor's
    /// <c>Σ g²</c> (<see cref="SegmentSquares"/>), measured as the parts' gradients are summed.
    /// </param>
    /// <param name="layerNames">The model's parameterized layers, for the parts' dead-unit counts.</param>
    /// <param name="activations">The trainer's activation workspace (part 0's).</param>
    /// <param name="activationGradients">The trainer's activation-gradient workspace (part 0's).</param>
    /// <param name="gradients">The model's gradient buffer (part 0's, and where the sum lands).</param>
    /// <param name="runner">Runs one part.</param>
    /// <exception cref="ArgumentException">The segments do not ascend from 0 within the gradient buffer.</exception>
    public BatchSplit(int maxBatch, int activationsPerSample, int fixedActivations, int inputWidth, int targetWidth, long multiplyAddsPerSample,
        IReadOnlyList<int> gradientSegments, IReadOnlyList<string> layerNames, T[] activations, T[] activationGradients, T[] gradients, BatchPartRunner<T, TTarget> runner)
    {
        ArgumentNullException.ThrowIfNull(gradientSegments);
        ArgumentNullException.ThrowIfNull(layerNames);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(activationGradients);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(runner);
        _maxBatch = maxBatch;
        _activationsPerSample = activationsPerSample;
        _fixedActivations = fixedActivations;
        _inputWidth = inputWidth;
        _targetWidth = targetWidth;
        _multiplyAddsPerSample = multiplyAddsPerSample;
        _parameterCount = gradients.Length;
        _layerNames = [.. layerNames];
        _activations = activations;
        _activationGradients = activationGradients;
        _gradients = gradients;
        _runner = runner;
        _runPart = RunPart;
        _sumPart = SumPart;

        // Chunks never straddle two tensors, so each tensor's squares are its chunks' in order, whoever sums them.
        var starts = new List<int>();
        _segmentChunks = new int[gradientSegments.Count + 1];
        for (int s = 0; s < gradientSegments.Count; s++)
        {
            int start = gradientSegments[s];
            int end = s + 1 < gradientSegments.Count ? gradientSegments[s + 1] : _parameterCount;
            if ((s == 0 && start != 0) || end < start || end > _parameterCount)
                throw new ArgumentException($"Gradient segment {s} [{start}, {end}) does not ascend from 0 within {_parameterCount} gradients.", nameof(gradientSegments));
            _segmentChunks[s] = starts.Count;
            for (int at = start; at < end; at += Chunk)
                starts.Add(at);
        }
        _segmentChunks[gradientSegments.Count] = starts.Count;
        starts.Add(_parameterCount);
        _chunkStarts = [.. starts];
        _chunkSquares = new double[_chunkStarts.Length - 1];
        _segmentSquares = new double[gradientSegments.Count];
    }

    /// <summary>The parts a step of <paramref name="batch"/> rows splits into (1: not split), by <see cref="BatchSplit.Parts"/>.</summary>
    /// <param name="batch">The step's rows.</param>
    /// <returns>The part count.</returns>
    public int Parts(int batch) => BatchSplit.Parts(batch, _multiplyAddsPerSample, _layerNames.Length);

    /// <summary>Each gradient segment's <c>Σ g²</c> from the last <see cref="SumGradients"/>.</summary>
    public ReadOnlySpan<double> SegmentSquares => _segmentSquares;

    /// <summary>Rows of part <paramref name="part"/> in the last step.</summary>
    /// <param name="part">The part.</param>
    /// <returns>Its row count.</returns>
    public int Rows(int part) => _rows[part + 1] - _rows[part];

    /// <summary>The activation workspace part <paramref name="part"/> used in the last step, for finding a non-finite layer.</summary>
    /// <param name="part">The part.</param>
    /// <returns>Its workspace.</returns>
    public ReadOnlySpan<T> Activations(int part) => part == 0 ? _activations : _partActivations[part - 1];

    /// <summary>
    /// Runs the step's <paramref name="parts"/> parts, part 0 on the calling thread and the others on the worker pool (or
    /// all in turn on the calling thread when the pool is busy: the same numbers either way), and adds the parts' dead
    /// units into <paramref name="report"/>.
    /// </summary>
    /// <param name="inputs">The batch, <c>(batch, inputWidth)</c>.</param>
    /// <param name="targets">Its labels or targets, <c>(batch, targetWidth)</c>.</param>
    /// <param name="batch">The batch's rows.</param>
    /// <param name="parts">From <see cref="Parts"/>, at least 2.</param>
    /// <param name="report">The step's report, or null.</param>
    /// <param name="weightNorms">Where part 0's forward pass stores each dense layer's <c>‖W‖</c> (empty: not measured).</param>
    /// <returns>The batch's mean loss, the parts' shares added in part order (NaN or ∞ if one part's is).</returns>
    public T Run(ReadOnlySpan<T> inputs, ReadOnlySpan<TTarget> targets, int batch, int parts, GradientReport? report, double[]? weightNorms)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, Math.Min(batch, WorkerPool.MaxThreads));
        EnsureParts(parts, report);
        BatchSplit.SplitSteps++;
        _rows[0] = 0;
        for (int part = 0; part < parts; part++)
            _rows[part + 1] = _rows[part] + batch / parts + (part < batch % parts ? 1 : 0);
        for (int part = 1; part < parts; part++)
            _partReports[part - 1].Begin(-1, double.NaN);
        _batch = batch;
        _parts = parts;
        _report = report;
        _weightNorms = weightNorms;
        fixed (T* inputPointer = inputs)
        fixed (TTarget* targetPointer = targets)
        {
            _inputs = inputPointer;
            _targets = targetPointer;
            try
            {
                if (!WorkerPool.TryRun(_runPart, parts))
                {
                    for (int part = 0; part < parts; part++)
                        RunPart(part);
                }
            }
            finally
            {
                _inputs = null;
                _targets = null;
                _report = null;
                _weightNorms = null;
            }
        }
        double loss = 0;
        for (int part = 0; part < parts; part++)
        {
            loss += double.CreateTruncating(_losses[part]);
            if (report is not null && part > 0)
            {
                report.AddDeadUnits(_partReports[part - 1]);
                report.AddHiddenGradientNorms(_partReports[part - 1]);
            }
        }
        return T.CreateTruncating(loss);
    }

    private void RunPart(int part)
    {
        int row = _rows[part], rows = _rows[part + 1] - row;
        var inputs = new ReadOnlySpan<T>(_inputs + (nint)row * _inputWidth, rows * _inputWidth);
        var targets = new ReadOnlySpan<TTarget>(_targets + (nint)row * _targetWidth, rows * _targetWidth);
        BatchPart<T> context = part == 0
            ? new(0, rows, _batch, _activations, _activationGradients, _gradients, _report, _weightNorms)
            : new(part, rows, _batch, _partActivations[part - 1], _partActivationGradients[part - 1], _partGradients[part - 1],
                _report is null ? null : _partReports[part - 1], default);
        _losses[part] = _runner(context, inputs, targets);
    }

    /// <summary>
    /// <c>gradients = Σ_parts gradients_part</c>, added in part order (part 0's buffer is the model's), with each
    /// segment's <c>Σ g²</c> measured on the way, chunk by chunk while the sum is in L1; the chunks split across the
    /// step's parts.
    /// </summary>
    /// <returns>The total <c>Σ g²</c> over every segment, added in segment order.</returns>
    public double SumGradients()
    {
        if (!WorkerPool.TryRun(_sumPart, _parts))
        {
            for (int part = 0; part < _parts; part++)
                SumPart(part);
        }
        double total = 0;
        for (int s = 0; s < _segmentSquares.Length; s++)
        {
            double squares = 0;
            for (int chunk = _segmentChunks[s]; chunk < _segmentChunks[s + 1]; chunk++)
                squares += _chunkSquares[chunk];
            _segmentSquares[s] = squares;
            total += squares;
        }
        return total;
    }

    private void SumPart(int part)
    {
        int chunks = _chunkSquares.Length;
        int first = (int)((long)chunks * part / _parts), last = (int)((long)chunks * (part + 1) / _parts);
        for (int chunk = first; chunk < last; chunk++)
        {
            int start = _chunkStarts[chunk], length = _chunkStarts[chunk + 1] - start;
            Span<T> sum = _gradients.AsSpan(start, length);
            for (int other = 1; other < _parts; other++)
                TensorPrimitives.Add(sum, _partGradients[other - 1].AsSpan(start, length), sum);
            _chunkSquares[chunk] = double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(sum));
        }
    }

    /// <summary>
    /// Allocates the workspaces of parts not yet used. The parts' reports have the layout of <paramref name="report"/>
    /// (the trainer's own, the same every step), so a recurrent layer's per-step norms can be summed over the parts.
    /// </summary>
    private void EnsureParts(int parts, GradientReport? report)
    {
        if (_partGradients.Length >= parts - 1)
            return;
        // Parts after the first never hold more than half the batch (part 0 takes the remainder's extra rows first).
        int rows = (_maxBatch + 1) / 2;
        int workspace = checked(_activationsPerSample * rows + _fixedActivations);
        int old = _partGradients.Length;
        Array.Resize(ref _partActivations, parts - 1);
        Array.Resize(ref _partActivationGradients, parts - 1);
        Array.Resize(ref _partGradients, parts - 1);
        Array.Resize(ref _partReports, parts - 1);
        for (int part = old; part < parts - 1; part++)
        {
            _partActivations[part] = new T[workspace];
            _partActivationGradients[part] = new T[workspace];
            _partGradients[part] = new T[_parameterCount];
            _partReports[part] = report?.CreatePartReport() ?? new GradientReport(_layerNames);
        }
    }
}
