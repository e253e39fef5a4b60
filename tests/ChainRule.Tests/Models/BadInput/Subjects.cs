using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using ChainRule.Diagnostics;
using ChainRule.Training;

namespace ChainRule.Tests.Models.BadInput;

/// <summary>
/// One generated model and its trainer, reached through the same calls whatever its element type and loss, so that
/// every bad-input case runs against every model. Values are given as <see cref="double"/> and converted exactly
/// (the float models get float-sized extremes).
/// </summary>
internal interface ISubject
{
    string Name { get; }
    int InputSize { get; }
    int OutputSize { get; }
    int ActivationsPerSample { get; }
    int FixedActivations { get; }
    int MaxBatch { get; }
    bool Classification { get; }
    bool BinaryTargets { get; }
    bool HasBatchNorm { get; }

    /// <summary>The largest power of ten the element type holds: 1e38 for float, 1e308 for double.</summary>
    double Huge { get; }

    /// <summary>
    /// A fresh model and trainer after three applied steps, so moments, gradients and statistics are not zero;
    /// <paramref name="schedule"/> replaces the default warm-up schedule.
    /// </summary>
    void CreateAndWarmUp(LearningRateSchedule? schedule = null, NonFinitePolicy policy = NonFinitePolicy.SkipStep);

    void Predict(double[] input, double[] output);
    void PredictBatch(double[] inputs, double[] outputs);
    double Step(double[] inputs, double[] targets, int[] labels);
    double ComputeGradients(double[] inputs, double[] targets, int[] labels);
    double Evaluate(double[] inputs, double[] targets, int[] labels);
    void CreateTrainer(TrainerOptions options);

    /// <summary>Every value a call could change, as bits.</summary>
    StateSnapshot Snapshot();

    /// <summary>Whether every parameter, running statistic and optimizer moment is finite.</summary>
    bool AllFinite();

    /// <summary>What the last step's report says, or null without one.</summary>
    bool? LastUpdateApplied { get; }

    /// <summary>Good data of <paramref name="rows"/> samples: inputs, regression targets and class labels.</summary>
    (double[] Inputs, double[] Targets, int[] Labels) Batch(int rows);
}

/// <summary>Bits of every part of a model's and trainer's state.</summary>
internal sealed record StateSnapshot(
    byte[] Parameters, byte[] Gradients, byte[] Statistics, long[] BatchesTracked, byte[][] OptimizerState,
    long Steps, long OptimizerSteps, double LearningRate, long? ReportStep, double? ReportLoss, bool? ReportApplied);

/// <summary>What a model's trainer learns from, which decides the shape of its training calls and of the good data.</summary>
internal enum Targets
{
    /// <summary>Class labels in <c>[0, OutputSize)</c>: <c>Step(inputs, labels)</c>.</summary>
    Labels,

    /// <summary>Real target values: <c>Step(inputs, targets)</c>.</summary>
    Values,

    /// <summary>Target probabilities in <c>[0, 1]</c> for binary cross-entropy: <c>Step(inputs, targets)</c>.</summary>
    Probabilities,
}

/// <summary>
/// The adapter for one generated model of element type <typeparamref name="T"/>. Every generated model has the same
/// members (<c>InputSize</c>, <c>Predict</c>, <c>Parameters</c>, <c>CreateTrainer</c>, <c>Trainer.Step</c>, …) but no
/// common interface, and its trainer is a sealed nested class, so those members are bound here once, by name, to each
/// fresh model and trainer; a subject states only what differs: its targets, its warm-up optimizer and its BatchNorm
/// layers. A member the generator stops emitting fails every case of the subject with an exception naming it.
/// </summary>
internal sealed class Subject<TModel, T> : ISubject
    where TModel : class
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Targets _targets;
    private readonly OptimizerOptions _warmUpOptimizer;
    private readonly Func<TModel, IEnumerable<NormLayer<T>>>? _batchNorms;
    private Bound _bound = null!;

    /// <param name="name">The subject's name in the test cases.</param>
    /// <param name="targets">What the model's trainer learns from.</param>
    /// <param name="warmUpOptimizer">The optimizer the warm-up trains with; the subjects vary it so each kind's state is covered.</param>
    /// <param name="batchNorms">The model's BatchNorm layers, the ones with running statistics; none when null.</param>
    public Subject(string name, Targets targets, OptimizerOptions warmUpOptimizer, Func<TModel, IEnumerable<NormLayer<T>>>? batchNorms = null)
    {
        Name = name;
        _targets = targets;
        _warmUpOptimizer = warmUpOptimizer;
        _batchNorms = batchNorms;
        InputSize = Constant(nameof(InputSize));
        OutputSize = Constant(nameof(OutputSize));
        ActivationsPerSample = Constant(nameof(ActivationsPerSample));
        FixedActivations = Constant(nameof(FixedActivations), emittedOnlyWhenPositive: true);
    }

    public string Name { get; }
    public int InputSize { get; }
    public int OutputSize { get; }
    public int ActivationsPerSample { get; }
    public int FixedActivations { get; }
    public int MaxBatch => 4;
    public bool Classification => _targets == Targets.Labels;
    public bool BinaryTargets => _targets == Targets.Probabilities;
    public bool HasBatchNorm => _batchNorms is not null;
    public double Huge => typeof(T) == typeof(double) ? 1e308 : 1e38;

    private IEnumerable<NormLayer<T>> Norms => _batchNorms?.Invoke(_bound.Model) ?? [];

    public void CreateAndWarmUp(LearningRateSchedule? schedule = null, NonFinitePolicy policy = NonFinitePolicy.SkipStep)
    {
        _bound = new Bound(new TrainerOptions { MaxBatch = MaxBatch, Optimizer = _warmUpOptimizer, Schedule = schedule ?? Schedules.Warmup(3), OnNonFinite = policy }, _targets);
        for (int step = 0; step < 3; step++)
        {
            var (inputs, targets, labels) = Batch(MaxBatch - step % 2);
            Step(inputs, targets, labels);
        }
        if (LastUpdateApplied != true || _bound.Optimizer().StepCount != 3)
            throw new InvalidOperationException($"{Name}: the warm-up steps were not applied.");
    }

    public (double[] Inputs, double[] Targets, int[] Labels) Batch(int rows)
    {
        var inputs = new double[rows * InputSize];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = Math.Sin(0.7 * i + 0.3) * (1 + i % 3);
        var targets = new double[rows * OutputSize];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = BinaryTargets ? (i % 3) * 0.5 : Math.Cos(0.9 * i);
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
            labels[i] = (i + 1) % OutputSize;
        return (inputs, targets, labels);
    }

    public void CreateTrainer(TrainerOptions options) => _bound.CreateTrainer(options);
    public void Predict(double[] input, double[] output) => WithOutput(output, o => _bound.Predict(Convert(input), o));
    public void PredictBatch(double[] inputs, double[] outputs) => WithOutput(outputs, o => _bound.PredictBatch(Convert(inputs), o));
    public double Step(double[] inputs, double[] targets, int[] labels) => double.CreateTruncating(_bound.Step(Convert(inputs), Convert(targets), labels));
    public double ComputeGradients(double[] inputs, double[] targets, int[] labels) => double.CreateTruncating(_bound.ComputeGradients(Convert(inputs), Convert(targets), labels));
    public double Evaluate(double[] inputs, double[] targets, int[] labels) => double.CreateTruncating(_bound.Evaluate(Convert(inputs), Convert(targets), labels));

    public bool? LastUpdateApplied => _bound.Report()?.UpdateApplied;

    public StateSnapshot Snapshot()
    {
        var statistics = new List<byte>();
        foreach (NormLayer<T> norm in Norms)
        {
            statistics.AddRange(Bits(norm.RunningMean));
            statistics.AddRange(Bits(norm.RunningVariance));
        }
        Optimizer<T> optimizer = _bound.Optimizer();
        var optimizerState = new byte[optimizer.State.Count][];
        for (int i = 0; i < optimizerState.Length; i++)
            optimizerState[i] = Bits(optimizer.State[i]);
        GradientReport? report = _bound.Report();
        return new StateSnapshot(
            Bits(_bound.Parameters()), Bits(_bound.Gradients()), statistics.ToArray(), BatchesTracked(_bound.SaveToBytes()), optimizerState,
            _bound.Steps(), optimizer.StepCount, optimizer.LearningRate, report?.Step, report?.Loss, report?.UpdateApplied);
    }

    public bool AllFinite()
    {
        bool finite = IsFinite(_bound.Parameters());
        foreach (NormLayer<T> norm in Norms)
            finite &= IsFinite(norm.RunningMean) && IsFinite(norm.RunningVariance);
        Optimizer<T> optimizer = _bound.Optimizer();
        for (int i = 0; i < optimizer.State.Count; i++)
            finite &= IsFinite(optimizer.State[i]);
        return finite;
    }

    private static int Constant(string name, bool emittedOnlyWhenPositive = false) =>
        typeof(TModel).GetField(name)?.GetRawConstantValue() is int value ? value
        : emittedOnlyWhenPositive ? 0
        : throw new MissingFieldException(typeof(TModel).Name, name);

    private static bool IsFinite(ReadOnlySpan<T> values)
    {
        foreach (T value in values)
        {
            if (!T.IsFinite(value))
                return false;
        }
        return true;
    }

    /// <summary>Every BatchNorm's num_batches_tracked, which the model exposes only through its checkpoint.</summary>
    private static long[] BatchesTracked(byte[] checkpoint)
    {
        var file = ChainRule.Serialization.SafeTensorsFile.Parse(checkpoint);
        var counts = new List<long>();
        foreach (var tensor in file.Tensors)
        {
            if (!tensor.Name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                continue;
            var value = new long[1];
            file.CopyInt64To(tensor.Name, value);
            counts.Add(value[0]);
        }
        return [.. counts];
    }

    private static byte[] Bits(ReadOnlySpan<T> values) => MemoryMarshal.AsBytes(values).ToArray();

    private static T[] Convert(double[] values) => Array.ConvertAll(values, T.CreateTruncating);

    private delegate void OutputCall(Span<T> output);

    // Runs a prediction into a buffer of the model's type and copies what it wrote back, so a refused call can be
    // seen to have left the caller's buffer alone.
    private static void WithOutput(double[] output, OutputCall call)
    {
        T[] converted = Convert(output);
        try
        {
            call(converted);
        }
        finally
        {
            for (int i = 0; i < output.Length; i++)
                output[i] = double.CreateTruncating(converted[i]);
        }
    }

    private delegate void PredictCall(ReadOnlySpan<T> input, Span<T> output);
    private delegate Span<T> BufferCall();
    private delegate T LossCall<TTarget>(ReadOnlySpan<T> inputs, ReadOnlySpan<TTarget> targets);
    private delegate T TrainingCall(T[] inputs, T[] targets, int[] labels);

    /// <summary>
    /// A fresh model (seed 3) and a trainer of it, their members bound as delegates. A delegate calls the member
    /// directly, so an exception reaches the test as the model threw it, not wrapped as <c>MethodInfo.Invoke</c> would.
    /// </summary>
    private sealed class Bound
    {
        public Bound(TrainerOptions options, Targets targets)
        {
            Model = (TModel)Activator.CreateInstance(typeof(TModel), 3)!;
            CreateTrainer = Bind<Func<TrainerOptions, object>>(Model, nameof(CreateTrainer));
            object trainer = CreateTrainer(options);
            Predict = Bind<PredictCall>(Model, nameof(Predict));
            PredictBatch = Bind<PredictCall>(Model, nameof(PredictBatch));
            Parameters = Bind<BufferCall>(Model, "get_" + nameof(Parameters));
            Gradients = Bind<BufferCall>(Model, "get_" + nameof(Gradients));
            SaveToBytes = Bind<Func<byte[]>>(Model, nameof(SaveToBytes));
            Optimizer = Bind<Func<Optimizer<T>>>(trainer, "get_" + nameof(Optimizer));
            Steps = Bind<Func<long>>(trainer, "get_" + nameof(Steps));
            Report = Bind<Func<GradientReport?>>(trainer, "get_LastReport");
            Step = Loss(trainer, nameof(Step), targets);
            ComputeGradients = Loss(trainer, nameof(ComputeGradients), targets);
            Evaluate = Loss(trainer, nameof(Evaluate), targets);
        }

        public TModel Model { get; }
        public Func<TrainerOptions, object> CreateTrainer { get; }
        public PredictCall Predict { get; }
        public PredictCall PredictBatch { get; }
        public BufferCall Parameters { get; }
        public BufferCall Gradients { get; }
        public Func<byte[]> SaveToBytes { get; }
        public Func<Optimizer<T>> Optimizer { get; }
        public Func<long> Steps { get; }
        public Func<GradientReport?> Report { get; }
        public TrainingCall Step { get; }
        public TrainingCall ComputeGradients { get; }
        public TrainingCall Evaluate { get; }

        // A classifier's trainer takes the labels, any other the targets.
        private static TrainingCall Loss(object trainer, string method, Targets targets)
        {
            if (targets == Targets.Labels)
            {
                var withLabels = Bind<LossCall<int>>(trainer, method);
                return (inputs, _, labels) => withLabels(inputs, labels);
            }
            var withTargets = Bind<LossCall<T>>(trainer, method);
            return (inputs, targetValues, _) => withTargets(inputs, targetValues);
        }

        private static TDelegate Bind<TDelegate>(object target, string method)
            where TDelegate : Delegate =>
            (target.GetType().GetMethod(method) ?? throw new MissingMethodException(target.GetType().FullName, method)).CreateDelegate<TDelegate>(target);
    }
}

internal static class Subjects
{
    /// <summary>Every subject by name, each a new adapter per call.</summary>
    public static readonly IReadOnlyDictionary<string, Func<ISubject>> All = new Dictionary<string, Func<ISubject>>(
    [
        Of<BlobClassifier, float>("Blob", Targets.Labels, Optimizers.Adam(0.01)),
        Of<CurveFitter, double>("Curve", Targets.Values, Optimizers.Sgd(0.05, momentum: 0.9, weightDecay: 1e-3)),
        Of<Detector, float>("Detect", Targets.Probabilities, Optimizers.AdamW(0.01)),
        Of<BatchNormFirst, double>("NormFirst", Targets.Values, Optimizers.Adam(0.01, weightDecay: 1e-3), m => [m.Norm]),
        Of<BatchNormResidual, float>("NormResidual", Targets.Labels, Optimizers.Sgd(0.05, momentum: 0.9, nesterov: true), m => Blocks(m.Body)),
        Of<Monitored, float>("Watched", Targets.Labels, Optimizers.Sgd(0.05)),
        Of<DoubleBatchNormClassifier, double>("DoubleClassifier", Targets.Labels, Optimizers.AdamW(0.01), m => Blocks(m.Body)),
        Of<FloatBatchNormRegressor, float>("FloatRegressor", Targets.Values, Optimizers.Adam(0.01), m => [m.Normalize]),
        Of<DoubleResidualDetector, double>("DoubleDetector", Targets.Probabilities, Optimizers.Sgd(0.05, momentum: 0.5, dampening: 0.1)),
    ]);

    private static KeyValuePair<string, Func<ISubject>> Of<TModel, T>(
        string name, Targets targets, OptimizerOptions warmUpOptimizer, Func<TModel, IEnumerable<NormLayer<T>>>? batchNorms = null)
        where TModel : class
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new(name, () => new Subject<TModel, T>(name, targets, warmUpOptimizer, batchNorms));

    private static IEnumerable<NormLayer<T>> Blocks<T>(ResidualStack<T> stack)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < stack.Count; i++)
            yield return stack[i].Norm;
    }
}
