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
    byte[] Parameters, byte[] Gradients, byte[] Statistics, byte[][] OptimizerState,
    long Steps, long OptimizerSteps, double LearningRate, long? ReportStep, double? ReportLoss, bool? ReportApplied);

internal abstract class Subject<T> : ISubject
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public string Name => GetType().Name;
    public abstract int InputSize { get; }
    public abstract int OutputSize { get; }
    public abstract int ActivationsPerSample { get; }
    public virtual int FixedActivations => 0;
    public int MaxBatch => 4;
    public abstract bool Classification { get; }
    public virtual bool BinaryTargets => false;
    public abstract bool HasBatchNorm { get; }
    public double Huge => typeof(T) == typeof(double) ? 1e308 : 1e38;

    /// <summary>The optimizer the warm-up trains with; the subjects vary it so each kind's state is covered.</summary>
    protected abstract OptimizerOptions WarmUpOptimizer { get; }

    protected abstract void NewModel(TrainerOptions options);
    public abstract void CreateTrainer(TrainerOptions options);
    protected abstract void Predict(ReadOnlySpan<T> input, Span<T> output);
    protected abstract void PredictBatch(ReadOnlySpan<T> inputs, Span<T> outputs);
    protected abstract T Step(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<int> labels);
    protected abstract T ComputeGradients(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<int> labels);
    protected abstract T Evaluate(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<int> labels);
    protected abstract Span<T> Parameters { get; }
    protected abstract Span<T> Gradients { get; }
    protected abstract IEnumerable<NormLayer<T>> Norms { get; }
    protected abstract Optimizer<T> Optimizer { get; }
    protected abstract long Steps { get; }
    protected abstract GradientReport? Report { get; }

    public void CreateAndWarmUp(LearningRateSchedule? schedule = null, NonFinitePolicy policy = NonFinitePolicy.SkipStep)
    {
        NewModel(new TrainerOptions { MaxBatch = MaxBatch, Optimizer = WarmUpOptimizer, Schedule = schedule ?? Schedules.Warmup(3), OnNonFinite = policy });
        for (int step = 0; step < 3; step++)
        {
            var (inputs, targets, labels) = Batch(MaxBatch - step % 2);
            Step(inputs, targets, labels);
        }
        if (LastUpdateApplied != true || Optimizer.StepCount != 3)
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

    public void Predict(double[] input, double[] output) => WithOutput(output, o => Predict(Convert(input), o));
    public void PredictBatch(double[] inputs, double[] outputs) => WithOutput(outputs, o => PredictBatch(Convert(inputs), o));
    public double Step(double[] inputs, double[] targets, int[] labels) => double.CreateTruncating(Step(Convert(inputs), Convert(targets), labels));
    public double ComputeGradients(double[] inputs, double[] targets, int[] labels) => double.CreateTruncating(ComputeGradients(Convert(inputs), Convert(targets), labels));
    public double Evaluate(double[] inputs, double[] targets, int[] labels) => double.CreateTruncating(Evaluate(Convert(inputs), Convert(targets), labels));

    public bool? LastUpdateApplied => Report?.UpdateApplied;

    public StateSnapshot Snapshot()
    {
        var statistics = new List<byte>();
        foreach (NormLayer<T> norm in Norms)
        {
            statistics.AddRange(Bits(norm.RunningMean));
            statistics.AddRange(Bits(norm.RunningVariance));
        }
        var optimizerState = new byte[Optimizer.State.Count][];
        for (int i = 0; i < optimizerState.Length; i++)
            optimizerState[i] = Bits(Optimizer.State[i]);
        return new StateSnapshot(
            Bits(Parameters), Bits(Gradients), statistics.ToArray(), optimizerState,
            Steps, Optimizer.StepCount, Optimizer.LearningRate, Report?.Step, Report?.Loss, Report?.UpdateApplied);
    }

    public bool AllFinite()
    {
        bool finite = IsFinite(Parameters);
        foreach (NormLayer<T> norm in Norms)
            finite &= IsFinite(norm.RunningMean) && IsFinite(norm.RunningVariance);
        for (int i = 0; i < Optimizer.State.Count; i++)
            finite &= IsFinite(Optimizer.State[i]);
        return finite;
    }

    private static bool IsFinite(ReadOnlySpan<T> values)
    {
        foreach (T value in values)
        {
            if (!T.IsFinite(value))
                return false;
        }
        return true;
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

    protected static IEnumerable<NormLayer<T>> Blocks(ResidualStack<T> stack)
    {
        for (int i = 0; i < stack.Count; i++)
            yield return stack[i].Norm;
    }
}

internal sealed class Blob : Subject<float>
{
    private BlobClassifier _model = null!;
    private BlobClassifier.Trainer _trainer = null!;
    public override int InputSize => BlobClassifier.InputSize;
    public override int OutputSize => BlobClassifier.OutputSize;
    public override int ActivationsPerSample => BlobClassifier.ActivationsPerSample;
    public override bool Classification => true;
    public override bool HasBatchNorm => false;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.Adam(0.01);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<float> input, Span<float> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs) => _model.PredictBatch(inputs, outputs);
    protected override float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Step(x, labels);
    protected override float ComputeGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, labels);
    protected override float Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, labels);
    protected override Span<float> Parameters => _model.Parameters;
    protected override Span<float> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<float>> Norms => [];
    protected override Optimizer<float> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class Curve : Subject<double>
{
    private CurveFitter _model = null!;
    private CurveFitter.Trainer _trainer = null!;
    public override int InputSize => CurveFitter.InputSize;
    public override int OutputSize => CurveFitter.OutputSize;
    public override int ActivationsPerSample => CurveFitter.ActivationsPerSample;
    public override bool Classification => false;
    public override bool HasBatchNorm => false;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.Sgd(0.05, momentum: 0.9, weightDecay: 1e-3);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<double> input, Span<double> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<double> inputs, Span<double> outputs) => _model.PredictBatch(inputs, outputs);
    protected override double Step(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Step(x, y);
    protected override double ComputeGradients(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, y);
    protected override double Evaluate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, y);
    protected override Span<double> Parameters => _model.Parameters;
    protected override Span<double> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<double>> Norms => [];
    protected override Optimizer<double> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class Detect : Subject<float>
{
    private Detector _model = null!;
    private Detector.Trainer _trainer = null!;
    public override int InputSize => Detector.InputSize;
    public override int OutputSize => Detector.OutputSize;
    public override int ActivationsPerSample => Detector.ActivationsPerSample;
    public override bool Classification => false;
    public override bool BinaryTargets => true;
    public override bool HasBatchNorm => false;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.AdamW(0.01);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<float> input, Span<float> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs) => _model.PredictBatch(inputs, outputs);
    protected override float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Step(x, y);
    protected override float ComputeGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, y);
    protected override float Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, y);
    protected override Span<float> Parameters => _model.Parameters;
    protected override Span<float> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<float>> Norms => [];
    protected override Optimizer<float> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class NormFirst : Subject<double>
{
    private BatchNormFirst _model = null!;
    private BatchNormFirst.Trainer _trainer = null!;
    public override int InputSize => BatchNormFirst.InputSize;
    public override int OutputSize => BatchNormFirst.OutputSize;
    public override int ActivationsPerSample => BatchNormFirst.ActivationsPerSample;
    public override int FixedActivations => BatchNormFirst.FixedActivations;
    public override bool Classification => false;
    public override bool HasBatchNorm => true;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.Adam(0.01, weightDecay: 1e-3);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<double> input, Span<double> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<double> inputs, Span<double> outputs) => _model.PredictBatch(inputs, outputs);
    protected override double Step(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Step(x, y);
    protected override double ComputeGradients(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, y);
    protected override double Evaluate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, y);
    protected override Span<double> Parameters => _model.Parameters;
    protected override Span<double> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<double>> Norms => [_model.Norm];
    protected override Optimizer<double> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class NormResidual : Subject<float>
{
    private BatchNormResidual _model = null!;
    private BatchNormResidual.Trainer _trainer = null!;
    public override int InputSize => BatchNormResidual.InputSize;
    public override int OutputSize => BatchNormResidual.OutputSize;
    public override int ActivationsPerSample => BatchNormResidual.ActivationsPerSample;
    public override int FixedActivations => BatchNormResidual.FixedActivations;
    public override bool Classification => true;
    public override bool HasBatchNorm => true;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.Sgd(0.05, momentum: 0.9, nesterov: true);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<float> input, Span<float> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs) => _model.PredictBatch(inputs, outputs);
    protected override float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Step(x, labels);
    protected override float ComputeGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, labels);
    protected override float Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, labels);
    protected override Span<float> Parameters => _model.Parameters;
    protected override Span<float> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<float>> Norms => Blocks(_model.Body);
    protected override Optimizer<float> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class Watched : Subject<float>
{
    private Monitored _model = null!;
    private Monitored.Trainer _trainer = null!;
    public override int InputSize => Monitored.InputSize;
    public override int OutputSize => Monitored.OutputSize;
    public override int ActivationsPerSample => Monitored.ActivationsPerSample;
    public override bool Classification => true;
    public override bool HasBatchNorm => false;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.Sgd(0.05);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<float> input, Span<float> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs) => _model.PredictBatch(inputs, outputs);
    protected override float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Step(x, labels);
    protected override float ComputeGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, labels);
    protected override float Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, labels);
    protected override Span<float> Parameters => _model.Parameters;
    protected override Span<float> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<float>> Norms => [];
    protected override Optimizer<float> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class DoubleClassifier : Subject<double>
{
    private DoubleBatchNormClassifier _model = null!;
    private DoubleBatchNormClassifier.Trainer _trainer = null!;
    public override int InputSize => DoubleBatchNormClassifier.InputSize;
    public override int OutputSize => DoubleBatchNormClassifier.OutputSize;
    public override int ActivationsPerSample => DoubleBatchNormClassifier.ActivationsPerSample;
    public override int FixedActivations => DoubleBatchNormClassifier.FixedActivations;
    public override bool Classification => true;
    public override bool HasBatchNorm => true;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.AdamW(0.01);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<double> input, Span<double> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<double> inputs, Span<double> outputs) => _model.PredictBatch(inputs, outputs);
    protected override double Step(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Step(x, labels);
    protected override double ComputeGradients(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, labels);
    protected override double Evaluate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, labels);
    protected override Span<double> Parameters => _model.Parameters;
    protected override Span<double> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<double>> Norms => Blocks(_model.Body);
    protected override Optimizer<double> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class FloatRegressor : Subject<float>
{
    private FloatBatchNormRegressor _model = null!;
    private FloatBatchNormRegressor.Trainer _trainer = null!;
    public override int InputSize => FloatBatchNormRegressor.InputSize;
    public override int OutputSize => FloatBatchNormRegressor.OutputSize;
    public override int ActivationsPerSample => FloatBatchNormRegressor.ActivationsPerSample;
    public override int FixedActivations => FloatBatchNormRegressor.FixedActivations;
    public override bool Classification => false;
    public override bool HasBatchNorm => true;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.Adam(0.01);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<float> input, Span<float> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs) => _model.PredictBatch(inputs, outputs);
    protected override float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Step(x, y);
    protected override float ComputeGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, y);
    protected override float Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, y);
    protected override Span<float> Parameters => _model.Parameters;
    protected override Span<float> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<float>> Norms => [_model.Normalize];
    protected override Optimizer<float> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal sealed class DoubleDetector : Subject<double>
{
    private DoubleResidualDetector _model = null!;
    private DoubleResidualDetector.Trainer _trainer = null!;
    public override int InputSize => DoubleResidualDetector.InputSize;
    public override int OutputSize => DoubleResidualDetector.OutputSize;
    public override int ActivationsPerSample => DoubleResidualDetector.ActivationsPerSample;
    public override bool Classification => false;
    public override bool BinaryTargets => true;
    public override bool HasBatchNorm => false;
    protected override OptimizerOptions WarmUpOptimizer => Optimizers.Sgd(0.05, momentum: 0.5, dampening: 0.1);
    protected override void NewModel(TrainerOptions options) { _model = new(3); _trainer = _model.CreateTrainer(options); }
    public override void CreateTrainer(TrainerOptions options) => _model.CreateTrainer(options);
    protected override void Predict(ReadOnlySpan<double> input, Span<double> output) => _model.Predict(input, output);
    protected override void PredictBatch(ReadOnlySpan<double> inputs, Span<double> outputs) => _model.PredictBatch(inputs, outputs);
    protected override double Step(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Step(x, y);
    protected override double ComputeGradients(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.ComputeGradients(x, y);
    protected override double Evaluate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> labels) => _trainer.Evaluate(x, y);
    protected override Span<double> Parameters => _model.Parameters;
    protected override Span<double> Gradients => _model.Gradients;
    protected override IEnumerable<NormLayer<double>> Norms => [];
    protected override Optimizer<double> Optimizer => _trainer.Optimizer;
    protected override long Steps => _trainer.Steps;
    protected override GradientReport? Report => _trainer.LastReport;
}

internal static class Subjects
{
    public static readonly IReadOnlyDictionary<string, Func<ISubject>> All = new Dictionary<string, Func<ISubject>>
    {
        [nameof(Blob)] = () => new Blob(),
        [nameof(Curve)] = () => new Curve(),
        [nameof(Detect)] = () => new Detect(),
        [nameof(NormFirst)] = () => new NormFirst(),
        [nameof(NormResidual)] = () => new NormResidual(),
        [nameof(Watched)] = () => new Watched(),
        [nameof(DoubleClassifier)] = () => new DoubleClassifier(),
        [nameof(FloatRegressor)] = () => new FloatRegressor(),
        [nameof(DoubleDetector)] = () => new DoubleDetector(),
    };
}
