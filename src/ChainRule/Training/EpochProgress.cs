using System;
using System.Diagnostics;
using System.Globalization;

namespace ChainRule.Training;

/// <summary>
/// What one epoch of training did: its mean loss over the samples, how long it took, and optionally an evaluation
/// accuracy. <see cref="ToString"/> is the console line, e.g.
/// <c>epoch  3/10: loss 0.3121, accuracy 87.2%, 4.1 s, 14,600 samples/s</c>.
/// </summary>
/// <param name="Epoch">The epoch, counting from 1.</param>
/// <param name="Epochs">The epochs planned, or 0 if open-ended.</param>
/// <param name="Loss">The loss averaged over the epoch's samples (each batch's mean weighted by its rows).</param>
/// <param name="Samples">Samples trained on in the epoch.</param>
/// <param name="Elapsed">The epoch's wall time.</param>
/// <param name="Accuracy">An accuracy measured after the epoch, or <c>null</c>.</param>
public readonly record struct EpochProgress(int Epoch, int Epochs, double Loss, long Samples, TimeSpan Elapsed, double? Accuracy)
{
    /// <summary>Samples per second of wall time.</summary>
    public double SamplesPerSecond => Elapsed > TimeSpan.Zero ? Samples / Elapsed.TotalSeconds : 0;

    /// <summary>The console line: epoch, loss, accuracy if measured, time and throughput.</summary>
    public override string ToString()
    {
        string of = Epochs > 0 ? "/" + Epochs.ToString(CultureInfo.InvariantCulture) : "";
        int width = Epochs > 0 ? Epochs.ToString(CultureInfo.InvariantCulture).Length : 1;
        string accuracy = Accuracy is double a ? string.Create(CultureInfo.InvariantCulture, $", accuracy {a * 100:F1}%") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width)}{of}: loss {Loss:F4}{accuracy}, {Elapsed.TotalSeconds:F1} s, {SamplesPerSecond:N0} samples/s");
    }
}

/// <summary>
/// Measures epochs while a training loop runs, allocation-free per batch, and hands each finished epoch to an
/// <see cref="IProgress{T}"/> — .NET's callback for progress, which works with <see cref="Progress{T}"/> in a UI as
/// well as with a synchronous handler such as <c>new EpochMeter(epochs, p => Console.WriteLine(p))</c>.
/// </summary>
/// <remarks>
/// <code>
/// var meter = new EpochMeter(epochs: 10, progress => Console.WriteLine(progress));
/// for (int epoch = 0; epoch &lt; 10; epoch++)
/// {
///     meter.Start();
///     while (batches.MoveNext())
///         meter.Add(trainer.Step(batches.Inputs, batches.Targets), batches.Rows);
///     meter.Finish(accuracy: Evaluate());
/// }
/// </code>
/// </remarks>
public sealed class EpochMeter
{
    private readonly IProgress<EpochProgress>? _progress;
    private readonly Action<EpochProgress>? _handler;
    private long _started;
    private double _lossSum;
    private long _samples;

    /// <summary>Creates a meter that reports to <paramref name="progress"/>.</summary>
    /// <param name="epochs">The epochs planned (for the <c>3/10</c> in the line), or 0.</param>
    /// <param name="progress">Receives each finished epoch, or <c>null</c> to only return it from <see cref="Finish"/>.</param>
    public EpochMeter(int epochs, IProgress<EpochProgress>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        Epochs = epochs;
        _progress = progress;
    }

    /// <summary>Creates a meter that calls <paramref name="handler"/> on the training thread after each epoch.</summary>
    /// <param name="epochs">The epochs planned, or 0.</param>
    /// <param name="handler">Receives each finished epoch, synchronously.</param>
    public EpochMeter(int epochs, Action<EpochProgress> handler)
        : this(epochs, progress: null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
    }

    /// <summary>The epochs planned, or 0.</summary>
    public int Epochs { get; }

    /// <summary>Epochs finished so far.</summary>
    public int Completed { get; private set; }

    /// <summary>Starts timing an epoch and clears its loss.</summary>
    public void Start()
    {
        _lossSum = 0;
        _samples = 0;
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>Adds one batch: its mean loss, as a trainer's <c>Step</c> returns it, over <paramref name="rows"/> samples.</summary>
    /// <param name="loss">The batch's mean loss.</param>
    /// <param name="rows">Samples in the batch, ≥ 1.</param>
    public void Add(double loss, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        _lossSum += loss * rows;
        _samples += rows;
    }

    /// <summary>Ends the epoch, reports it and returns it.</summary>
    /// <param name="accuracy">An accuracy measured after the epoch (say, on held-out data), or <c>null</c>.</param>
    /// <returns>The epoch's progress.</returns>
    public EpochProgress Finish(double? accuracy = null)
    {
        Completed++;
        var progress = new EpochProgress(Completed, Epochs, _samples == 0 ? 0 : _lossSum / _samples, _samples, Stopwatch.GetElapsedTime(_started), accuracy);
        _progress?.Report(progress);
        _handler?.Invoke(progress);
        return progress;
    }
}
