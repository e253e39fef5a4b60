using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;
using ChainRule.Training;

namespace ChainRule.Serialization;

/// <summary>
/// Saves and loads a generated model (and its trainer) as a safetensors file with PyTorch's <c>state_dict()</c> names:
/// the logic every generated <c>Save</c>, <c>SaveToBytes</c> and <c>Load</c> calls, over the model's buffers and its
/// <see cref="CheckpointLayout"/>.
/// </summary>
/// <remarks>
/// <para>
/// A model checkpoint holds every tensor of the layout in the model's element type (F32 or F64; num_batches_tracked as
/// I64) and the metadata <c>format</c> = <c>pt</c> (what Hugging Face tools expect of PyTorch weights),
/// <c>chainrule_version</c> and <c>architecture</c>. A trainer checkpoint adds, per parameter tensor, the optimizer's
/// state under <c>optimizer/{exp_avg, exp_avg_sq, momentum_buffer}/{tensor}</c>, the I64 scalars
/// <c>optimizer/step</c> (updates applied, which also positions the schedule) and <c>trainer/steps</c> (steps
/// attempted), and the metadata <c>optimizer</c> (its kind).
/// </para>
/// <para>
/// Loading is all-or-nothing: the file is parsed and every tensor is checked and converted into copies of the
/// model's buffers (and the optimizer's) before any of them is overwritten. Every problem in the file is an
/// <see cref="InvalidDataException"/> whose message starts with <c>safetensors:</c> (the file's format) or
/// <c>checkpoint:</c> (its fit to this model) and names the tensor.
/// </para>
/// </remarks>
/// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct Checkpoint<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The metadata key of the network's description.</summary>
    public const string ArchitectureKey = "architecture";

    /// <summary>The metadata key of a trainer checkpoint's optimizer kind.</summary>
    public const string OptimizerKey = "optimizer";

    private const string OptimizerStep = CheckpointLayout.OptimizerPrefix + "step";
    private const string TrainerSteps = CheckpointLayout.TrainerPrefix + "steps";

    private readonly CheckpointLayout _layout;
    private readonly T[] _parameters;
    private readonly T[] _statistics;
    private readonly long[] _batchesTracked;

    /// <summary>Binds a layout to a model's buffers, checking that the layout covers each of them exactly once.</summary>
    /// <param name="layout">The model's tensors.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="statistics">The model's running-statistics buffer (empty without BatchNorm).</param>
    /// <param name="batchesTracked">The model's num_batches_tracked counters (empty without BatchNorm).</param>
    /// <exception cref="ArgumentException">A tensor lies outside its buffer, tensors overlap, or leave part of a buffer out.</exception>
    public Checkpoint(CheckpointLayout layout, T[] parameters, T[] statistics, long[] batchesTracked)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(batchesTracked);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Checkpoints hold float or double models, not {typeof(T).Name}.");
        int[] lengths = [parameters.Length, statistics.Length, batchesTracked.Length];
        var covered = new bool[][] { new bool[parameters.Length], new bool[statistics.Length], new bool[batchesTracked.Length] };
        foreach (CheckpointTensor tensor in layout.Tensors)
        {
            bool[] buffer = covered[(int)tensor.Buffer];
            int length = tensor.Buffer == CheckpointBuffer.BatchesTracked ? 1 : tensor.Length;
            if (tensor.Offset + (long)length > buffer.Length)
                throw new ArgumentException($"Tensor '{tensor.Name}' ends past its {tensor.Buffer} buffer of {buffer.Length}.", nameof(layout));
            for (int i = tensor.Offset; i < tensor.Offset + length; i++)
            {
                if (buffer[i])
                    throw new ArgumentException($"Tensor '{tensor.Name}' overlaps another at {tensor.Buffer}[{i}].", nameof(layout));
                buffer[i] = true;
            }
        }
        for (int b = 0; b < covered.Length; b++)
        {
            int gap = Array.IndexOf(covered[b], false);
            if (gap >= 0)
                throw new ArgumentException($"No tensor holds {(CheckpointBuffer)b}[{gap}].", nameof(layout));
        }
        _layout = layout;
        _parameters = parameters;
        _statistics = statistics;
        _batchesTracked = batchesTracked;
    }

    /// <summary>The model's checkpoint.</summary>
    /// <returns>The safetensors file's bytes.</returns>
    public byte[] ToBytes() => Writer(trainer: null).ToArray();

    /// <summary>Writes the model's checkpoint to <paramref name="path"/> atomically (<see cref="AtomicFile"/>).</summary>
    /// <param name="path">The file; an existing one is replaced only once the new one is complete on disk.</param>
    public void Save(string path) => Writer(trainer: null).Save(path);

    /// <summary>The model's and the trainer's checkpoint.</summary>
    /// <param name="trainer">The trainer's state.</param>
    /// <returns>The safetensors file's bytes.</returns>
    public byte[] ToBytes(TrainingState<T> trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return Writer(trainer).ToArray();
    }

    /// <summary>Writes the model's and the trainer's checkpoint to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file.</param>
    /// <param name="trainer">The trainer's state.</param>
    public void Save(string path, TrainingState<T> trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Writer(trainer).Save(path);
    }

    /// <summary>
    /// Loads the model's tensors from a checkpoint file: a model's, a trainer's (whose optimizer and trainer tensors
    /// are ignored), or a PyTorch <c>state_dict()</c> saved as safetensors. All or nothing.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is not valid, or does not fit this model; nothing was changed.</exception>
    public void Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Load(File.ReadAllBytes(path), trainer: null);
    }

    /// <summary>Loads the model's tensors from a checkpoint held in memory; see <see cref="Load(string)"/>.</summary>
    /// <param name="file">The file's bytes.</param>
    /// <exception cref="InvalidDataException">The file is not valid, or does not fit this model; nothing was changed.</exception>
    public void Load(ReadOnlySpan<byte> file) => Load(file.ToArray(), trainer: null);

    /// <summary>Loads the model and the trainer from a trainer checkpoint, all or nothing.</summary>
    /// <param name="path">The file.</param>
    /// <param name="trainer">The trainer's state.</param>
    /// <exception cref="InvalidDataException">
    /// The file is not valid, is not a trainer checkpoint, holds another optimizer's state, or does not fit this model;
    /// nothing was changed.
    /// </exception>
    public void Load(string path, TrainingState<T> trainer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(trainer);
        Load(File.ReadAllBytes(path), trainer);
    }

    /// <summary>Loads the model and the trainer from a trainer checkpoint held in memory; see <see cref="Load(string, TrainingState{T})"/>.</summary>
    /// <param name="file">The file's bytes.</param>
    /// <param name="trainer">The trainer's state.</param>
    /// <exception cref="InvalidDataException">As <see cref="Load(string, TrainingState{T})"/>; nothing was changed.</exception>
    public void Load(ReadOnlySpan<byte> file, TrainingState<T> trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Load(file.ToArray(), trainer);
    }

    private SafeTensorsWriter Writer(TrainingState<T>? trainer)
    {
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata("chainrule_version", typeof(CheckpointLayout).Assembly.GetName().Version?.ToString(3) ?? "");
        writer.AddMetadata(ArchitectureKey, _layout.Architecture);
        foreach (CheckpointTensor tensor in _layout.Tensors)
        {
            if (tensor.Buffer == CheckpointBuffer.BatchesTracked)
                writer.AddInt64(tensor.Name, [], _batchesTracked.AsSpan(tensor.Offset, 1));
            else
                Add(writer, tensor.Name, tensor.Shape, Buffer(tensor.Buffer).AsSpan(tensor.Offset, tensor.Length));
        }
        if (trainer is not null)
        {
            Optimizer<T> optimizer = trainer.Optimizer;
            writer.AddMetadata(OptimizerKey, optimizer.Options.Kind.ToString());
            writer.AddInt64(OptimizerStep, [], [optimizer.StepCount]);
            writer.AddInt64(TrainerSteps, [], [trainer.Steps]);
            for (int s = 0; s < optimizer.State.Count; s++)
            {
                T[] state = optimizer.State[s];
                if (state.Length == 0)
                    continue; // SGD without momentum keeps no buffer, as PyTorch's momentum_buffer is None
                foreach (CheckpointTensor tensor in _layout.Tensors)
                {
                    if (tensor.Buffer == CheckpointBuffer.Parameters)
                        Add(writer, StateName(optimizer.StateNames[s], tensor), tensor.Shape, state.AsSpan(tensor.Offset, tensor.Length));
                }
            }
        }
        return writer;
    }

    private static void Add(SafeTensorsWriter writer, string name, IReadOnlyList<long> shape, ReadOnlySpan<T> values)
    {
        long[] dimensions = [.. shape];
        if (typeof(T) == typeof(float))
            writer.Add(name, dimensions, MemoryMarshal.Cast<T, float>(values));
        else
            writer.Add(name, dimensions, MemoryMarshal.Cast<T, double>(values));
    }

    private static string StateName(string state, CheckpointTensor tensor) => $"{CheckpointLayout.OptimizerPrefix}{state}/{tensor.Name}";

    private T[] Buffer(CheckpointBuffer buffer) => buffer == CheckpointBuffer.Parameters ? _parameters : _statistics;

    /// <summary>Checks and converts everything into copies, then overwrites the model (and trainer) with them.</summary>
    private void Load(byte[] bytes, TrainingState<T>? trainer)
    {
        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);
        Optimizer<T>? optimizer = trainer?.Optimizer;
        if (optimizer is not null)
        {
            string expected = optimizer.Options.Kind.ToString();
            if (!file.Metadata.TryGetValue(OptimizerKey, out string? kind))
                throw new InvalidDataException($"checkpoint: the file has no '{OptimizerKey}' metadata, so it holds no trainer state (a model's Save writes none); load it with the model's Load.");
            if (kind != expected)
                throw new InvalidDataException($"checkpoint: the file holds the state of a {kind} optimizer; this trainer's optimizer is {expected}.");
        }

        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        T[] parameters = new T[_parameters.Length];
        T[] statistics = new T[_statistics.Length];
        long[] batchesTracked = new long[_batchesTracked.Length];
        foreach (CheckpointTensor tensor in _layout.Tensors)
        {
            expectedNames.Add(tensor.Name);
            CheckShape(file, tensor.Name, tensor.Shape);
            if (tensor.Buffer == CheckpointBuffer.BatchesTracked)
            {
                Span<long> count = batchesTracked.AsSpan(tensor.Offset, 1);
                file.CopyInt64To(tensor.Name, count);
                if (count[0] < 0)
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"checkpoint: tensor '{tensor.Name}' is {count[0]}; a count of batches cannot be negative."));
                continue;
            }
            Span<T> target = (tensor.Buffer == CheckpointBuffer.Parameters ? parameters : statistics).AsSpan(tensor.Offset, tensor.Length);
            file.CopyTo(tensor.Name, target, requireFinite: true);
            // A negative running variance would make inference take the square root of a negative number.
            if (tensor.Buffer == CheckpointBuffer.Statistics && tensor.Name.EndsWith(".running_var", StringComparison.Ordinal))
                RequireNonNegative(tensor.Name, target);
        }

        T[][] state = [];
        long step = 0, steps = 0;
        if (optimizer is not null)
        {
            state = new T[optimizer.State.Count][];
            for (int s = 0; s < state.Length; s++)
            {
                state[s] = new T[optimizer.State[s].Length];
                if (state[s].Length == 0)
                    continue;
                string stateName = optimizer.StateNames[s];
                foreach (CheckpointTensor tensor in _layout.Tensors)
                {
                    if (tensor.Buffer != CheckpointBuffer.Parameters)
                        continue;
                    string name = StateName(stateName, tensor);
                    expectedNames.Add(name);
                    CheckShape(file, name, tensor.Shape);
                    Span<T> target = state[s].AsSpan(tensor.Offset, tensor.Length);
                    file.CopyTo(name, target, requireFinite: true);
                    if (stateName == "exp_avg_sq")
                        RequireNonNegative(name, target); // √v: Adam's second moment is a mean of squares
                }
            }
            step = ReadCount(file, OptimizerStep, expectedNames);
            steps = ReadCount(file, TrainerSteps, expectedNames);
            if (steps < step)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"checkpoint: tensor '{TrainerSteps}' is {steps}, fewer than the {step} updates of '{OptimizerStep}': every update is a step."));
        }

        foreach (SafeTensorInfo tensor in file.Tensors)
        {
            if (expectedNames.Contains(tensor.Name) || (optimizer is null && CheckpointLayout.IsReserved(tensor.Name)))
                continue;
            throw new InvalidDataException($"checkpoint: the file has tensor '{tensor.Name}', which this {(optimizer is null ? "model" : "trainer")} does not have.");
        }
        if (file.Metadata.TryGetValue(ArchitectureKey, out string? architecture) && architecture != _layout.Architecture)
            throw new InvalidDataException($"checkpoint: every tensor fits, but the file was written by another architecture. The file's: {architecture}. This model's: {_layout.Architecture}.");

        // Nothing below can fail: every value has been checked.
        parameters.CopyTo(_parameters, 0);
        statistics.CopyTo(_statistics, 0);
        batchesTracked.CopyTo(_batchesTracked, 0);
        if (trainer is not null && optimizer is not null)
        {
            for (int s = 0; s < state.Length; s++)
                state[s].CopyTo(optimizer.State[s], 0);
            optimizer.Restore(step);
            trainer.RestoreSteps(steps);
        }
    }

    private static void CheckShape(SafeTensorsFile file, string name, IReadOnlyList<long> expected)
    {
        if (!file.Contains(name))
            throw new InvalidDataException($"checkpoint: tensor '{name}' is missing from the file.");
        IReadOnlyList<long> shape = file[name].Shape;
        bool same = shape.Count == expected.Count;
        for (int i = 0; same && i < shape.Count; i++)
            same = shape[i] == expected[i];
        if (!same)
            throw new InvalidDataException($"checkpoint: tensor '{name}': the file has shape [{string.Join(", ", shape)}], this model expects [{string.Join(", ", expected)}].");
    }

    private static long ReadCount(SafeTensorsFile file, string name, HashSet<string> expectedNames)
    {
        expectedNames.Add(name);
        CheckShape(file, name, []);
        Span<long> value = stackalloc long[1];
        file.CopyInt64To(name, value);
        if (value[0] < 0)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"checkpoint: tensor '{name}' is {value[0]}; a count cannot be negative."));
        return value[0];
    }

    private static void RequireNonNegative(string name, ReadOnlySpan<T> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (T.IsNegative(values[i]) && !T.IsZero(values[i]))
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"checkpoint: tensor '{name}' element {i} is negative ({values[i]})."));
        }
    }
}
