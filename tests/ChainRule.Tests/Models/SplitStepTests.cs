using System;
using System.Linq;
using System.Runtime.InteropServices;
using ChainRule.Kernels;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Models;

[Network(Inputs = 5, Loss = Loss.SoftmaxCrossEntropy, Precision = Precision.Double)]
public partial class SplitClassifier
{
    [Dense(7, Activation.Tanh)] public partial DenseLayer<double> Hidden { get; }
    [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 2, Hidden = 6, ReZero = true)] public partial ResidualStack<double> Body { get; }
    [Dense(3)] public partial DenseLayer<double> Logits { get; }
}

[Network(Inputs = 4, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class SplitRegressor
{
    // Without a bias, so the split's per-tensor Σg² segments skip the layer's missing bias.
    [Dense(6, Activation.Silu, Bias = false)] public partial DenseLayer<double> Hidden { get; }
    [RMSNorm] public partial NormLayer<double> Rms { get; }
    [Residual(Norm.LayerNorm, Activation.Tanh, Repeat = 1, Hidden = 5, Placement = NormPlacement.Post)] public partial ResidualStack<double> Body { get; }
    [Dense(2)] public partial DenseLayer<double> Output { get; }
}

[Network(Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits, Precision = Precision.Double)]
public partial class SplitBatchNormDetector
{
    [Dense(6, Activation.Tanh)] public partial DenseLayer<double> Hidden { get; }
    [BatchNorm] public partial NormLayer<double> Batch { get; }
    [Dense(2)] public partial DenseLayer<double> Logits { get; }
}

/// <summary>Layers wide enough that at 64 rows each product splits across the threads on its own.</summary>
[Network(Inputs = 1024, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SplitWideLayers
{
    [Dense(1024, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>
/// Training steps split by rows across the worker pool (<see cref="BatchSplit{T, TTarget}"/>): the gradients match
/// finite differences at every thread count, with batches that do not divide evenly; the split is deterministic,
/// allocates nothing per step on any thread, and a refused step changes nothing.
/// </summary>
[Collection("Worker pool")]
public class SplitStepTests
{
    /// <summary>
    /// A model under test: parameters the test owns (moved off their initial values, so that ReZero's α = 0 and the zero
    /// biases leave no gradient at 0), and the trainer's loss and gradients on a fixed batch with those parameters.
    /// </summary>
    private sealed record Subject(string Name, bool BatchNorm, double[] Parameters, Func<double[], double[], double> LossAndGradients);

    private static Subject Classifier(int batch)
    {
        var model = new SplitClassifier(3);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 17 });
        var random = new Random(11);
        double[] inputs = NumericAssert.Random<double>(random, batch * SplitClassifier.InputSize);
        int[] labels = [.. Enumerable.Range(0, batch).Select(i => (i * 7 + 1) % SplitClassifier.OutputSize)];
        return Subjected("SplitClassifier", false, model.Parameters.ToArray(), (parameters, gradients) =>
        {
            parameters.CopyTo(model.Parameters);
            double loss = trainer.ComputeGradients(inputs, labels);
            model.Gradients.CopyTo(gradients);
            return loss;
        });
    }

    private static Subject Regressor(int batch)
    {
        var model = new SplitRegressor(4);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 17 });
        var random = new Random(12);
        double[] inputs = NumericAssert.Random<double>(random, batch * SplitRegressor.InputSize);
        double[] targets = NumericAssert.Random<double>(random, batch * SplitRegressor.OutputSize);
        return Subjected("SplitRegressor", false, model.Parameters.ToArray(), (parameters, gradients) =>
        {
            parameters.CopyTo(model.Parameters);
            double loss = trainer.ComputeGradients(inputs, targets);
            model.Gradients.CopyTo(gradients);
            return loss;
        });
    }

    private static Subject BatchNormDetector(int batch)
    {
        var model = new SplitBatchNormDetector(5);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 17 });
        var random = new Random(13);
        double[] inputs = NumericAssert.Random<double>(random, batch * SplitBatchNormDetector.InputSize);
        double[] targets = [.. Enumerable.Range(0, batch * SplitBatchNormDetector.OutputSize).Select(_ => random.NextDouble())];
        return Subjected("SplitBatchNormDetector", true, model.Parameters.ToArray(), (parameters, gradients) =>
        {
            parameters.CopyTo(model.Parameters);
            double loss = trainer.ComputeGradients(inputs, targets);
            model.Gradients.CopyTo(gradients);
            return loss;
        });
    }

    private static Subject Subjected(string name, bool batchNorm, double[] parameters, Func<double[], double[], double> loss)
    {
        var random = new Random(name.Length);
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] += (random.NextDouble() - 0.5) * 0.4;
        return new Subject(name, batchNorm, parameters, loss);
    }

    public static TheoryData<string, int> Cases() => new()
    {
        { "classifier", 17 }, { "classifier", 1 }, { "classifier", 2 },
        { "regressor", 17 }, { "regressor", 1 }, { "regressor", 2 },
        { "batchnorm", 17 }, { "batchnorm", 2 }, { "batchnorm", 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Split_gradients_match_finite_differences_at_one_two_and_three_threads(string model, int batch)
    {
        Func<int, Subject> create = model switch { "classifier" => Classifier, "regressor" => Regressor, _ => BatchNormDetector };
        using var threads = new ThreadScope();
        Subject subject = create(batch);
        double[] scratch = new double[subject.Parameters.Length], unsplit = new double[subject.Parameters.Length];
        foreach (int count in new[] { 1, 2, 3 })
        {
            Gemm.ThreadCount = count;
            long splits = BatchSplit.SplitSteps;
            double[] analytic = new double[subject.Parameters.Length];
            subject.LossAndGradients(subject.Parameters, analytic);
            Assert.Equal(count > 1 && batch > 1 && !subject.BatchNorm, BatchSplit.SplitSteps > splits);
            Assert.True(analytic.Max(Math.Abs) > 0, $"{subject.Name}: every gradient is 0, so the check would prove nothing.");
            GradientCheck.AgainstFiniteDifferencesNormwise(subject.Parameters, analytic, () => subject.LossAndGradients(subject.Parameters, scratch),
                $"{subject.Name}, batch {batch}, {count} threads");
            if (count == 1)
                analytic.CopyTo(unsplit, 0);
            else
            {
                // Only the order of the sums over rows differs from the unsplit step's.
                double scale = unsplit.Max(Math.Abs), drift = 0;
                int worst = 0;
                for (int i = 0; i < analytic.Length; i++)
                {
                    if (!(Math.Abs(analytic[i] - unsplit[i]) <= drift))
                        (drift, worst) = (Math.Abs(analytic[i] - unsplit[i]), i);
                }
                Assert.True(drift <= 1e-12 * scale, $"{subject.Name}, batch {batch}, {count} threads: {analytic[worst]:E17} against {unsplit[worst]:E17} unsplit at parameter {worst}");
            }
        }
    }

    [Fact]
    public void A_split_step_is_the_same_run_after_run_and_reports_like_an_unsplit_one()
    {
        using var threads = new ThreadScope(splitSmall: false);
        Gemm.ThreadCount = 2;
        long splits = BatchSplit.SplitSteps, jobs = WorkerPool.SplitJobs;
        var (first, firstLosses, firstReport) = Train(steps: 6);
        var (second, secondLosses, _) = Train(steps: 6);
        Assert.True(BatchSplit.SplitSteps - splits == 12, $"{BatchSplit.SplitSteps - splits} of 12 steps split at the default thresholds");
        Assert.True(WorkerPool.SplitJobs - jobs >= 24, "each split step runs its parts and its gradient sum on the pool");
        Assert.Equal(firstLosses, secondLosses);
        Assert.Equal(first, second);

        Gemm.ThreadCount = 1;
        var (_, unsplitLosses, unsplitReport) = Train(steps: 6);
        Assert.Equal(splits + 12, BatchSplit.SplitSteps);
        for (int step = 0; step < unsplitLosses.Length; step++)
            Assert.True(Math.Abs(firstLosses[step] - unsplitLosses[step]) <= 1e-4f * Math.Abs(unsplitLosses[step]), $"step {step}: loss {firstLosses[step]} split, {unsplitLosses[step]} unsplit");
        for (int layer = 0; layer < unsplitReport.Length; layer++)
        {
            var (norm, weight, dead) = firstReport[layer];
            var (unsplitNorm, unsplitWeight, unsplitDead) = unsplitReport[layer];
            Assert.True(Math.Abs(norm - unsplitNorm) <= 1e-3 * unsplitNorm, $"layer {layer}: ‖∇W‖ {norm} split, {unsplitNorm} unsplit");
            Assert.True(Math.Abs(weight - unsplitWeight) <= 1e-5 * unsplitWeight, $"layer {layer}: ‖W‖ {weight} split, {unsplitWeight} unsplit");
            Assert.True(double.IsNaN(dead) ? double.IsNaN(unsplitDead) : Math.Abs(dead - unsplitDead) <= 0.01, $"layer {layer}: dead fraction {dead} split, {unsplitDead} unsplit");
        }
    }

    /// <summary>Steps of <see cref="WideNetwork"/> at batch 64 (big enough to split at the default thresholds), AdamW and clipping.</summary>
    private static (byte[] Parameters, float[] Losses, (double Norm, double Weight, double Dead)[] Report) Train(int steps)
    {
        const int batch = 64;
        var model = new WideNetwork(8);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = batch, Optimizer = Optimizers.AdamW(1e-3), Clip = Clipping.GlobalNorm(1.0) });
        var random = new Random(21);
        float[] inputs = NumericAssert.Random<float>(random, batch * WideNetwork.InputSize);
        int[] labels = [.. Enumerable.Range(0, batch).Select(i => (i * 3) % WideNetwork.OutputSize)];
        float[] losses = new float[steps];
        for (int step = 0; step < steps; step++)
            losses[step] = trainer.Step(inputs, labels);
        var report = trainer.LastReport!;
        Assert.True(report.IsComplete && report.UpdateApplied, report.ToString());
        var layers = Enumerable.Range(0, report.LayerCount).Select(i => (report[i].WeightGradientNorm, report[i].WeightNorm, report[i].DeadFraction)).ToArray();
        Assert.Contains(layers, layer => layer.DeadFraction > 0);
        return (MemoryMarshal.AsBytes(model.Parameters).ToArray(), losses, layers);
    }

    [Fact]
    public void Split_steps_allocate_nothing_on_any_thread()
    {
        const int threads = 2;
        using var scope = new ThreadScope(splitSmall: false);
        Gemm.ThreadCount = threads;
        const int batch = 64;
        var model = new WideNetwork(6);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = batch, Optimizer = Optimizers.AdamW(1e-3), Clip = Clipping.GlobalNorm(1.0) });
        float[] inputs = NumericAssert.Random<float>(new Random(5), batch * WideNetwork.InputSize);
        int[] labels = [.. Enumerable.Range(0, batch).Select(i => i % WideNetwork.OutputSize)];
        long splits = BatchSplit.SplitSteps, steps = 0;

        Allocations.AssertNone($"split steps on {threads} threads together", () =>
        {
            trainer.Step(inputs, labels);
            steps++;
        }, calls: 5, Allocations.WarmUpCalls, () => Allocations.OnPoolThreads(threads));

        Assert.Equal(splits + steps, BatchSplit.SplitSteps);
    }

    [Fact]
    public void A_split_step_refused_for_a_non_finite_loss_or_input_changes_nothing()
    {
        using var threads = new ThreadScope(splitSmall: false);
        Gemm.ThreadCount = 2;
        const int batch = 64;
        var model = new WideNetwork(7);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = batch, Optimizer = Optimizers.AdamW(1e-3), Clip = Clipping.GlobalNorm(1.0) });
        var random = new Random(31);
        float[] inputs = NumericAssert.Random<float>(random, batch * WideNetwork.InputSize);
        int[] labels = [.. Enumerable.Range(0, batch).Select(i => i % WideNetwork.OutputSize)];
        trainer.Step(inputs, labels);
        trainer.Step(inputs, labels);
        byte[] before = State(model, trainer);
        long stepCount = trainer.Optimizer.StepCount, steps = trainer.Steps;

        // A row in the second part's half overflows the first layer: only that part's loss is ∞ or NaN.
        float[] huge = (float[])inputs.Clone();
        huge.AsSpan(50 * WideNetwork.InputSize, WideNetwork.InputSize).Fill(3e38f);
        long splits = BatchSplit.SplitSteps;
        float loss = trainer.Step(huge, labels);
        Assert.Equal(splits + 1, BatchSplit.SplitSteps);
        Assert.False(float.IsFinite(loss));
        Assert.False(trainer.LastReport!.UpdateApplied);
        Assert.Equal("Rectified", trainer.LastReport.FirstNonFiniteLayer);
        Assert.Equal(before, State(model, trainer));
        Assert.Equal(stepCount, trainer.Optimizer.StepCount);
        Assert.Equal(steps + 1, trainer.Steps);

        float[] nan = (float[])inputs.Clone();
        nan[40 * WideNetwork.InputSize + 3] = float.NaN;
        Assert.ThrowsAny<ArgumentException>(() => trainer.Step(nan, labels));
        Assert.Equal(before, State(model, trainer));
        Assert.Equal(stepCount, trainer.Optimizer.StepCount);

        // And the trainer steps on, split, from where it was.
        trainer.Step(inputs, labels);
        Assert.True(trainer.LastReport.UpdateApplied, trainer.LastReport.ToString());
        Assert.Equal(stepCount + 1, trainer.Optimizer.StepCount);
    }

    [Fact]
    public void A_step_whose_layers_split_on_their_own_runs_whole_and_agrees_bit_for_bit_across_thread_counts()
    {
        using var scope = new ThreadScope(splitSmall: false);
        const int batch = 64;
        var random = new Random(41);
        float[] inputs = NumericAssert.Random<float>(random, batch * SplitWideLayers.InputSize);
        int[] labels = [.. Enumerable.Range(0, batch).Select(i => i % SplitWideLayers.OutputSize)];
        float[] Gradients(int threads, int rows)
        {
            Gemm.ThreadCount = threads;
            var model = new SplitWideLayers(8);
            var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = batch });
            trainer.ComputeGradients(inputs.AsSpan(0, rows * SplitWideLayers.InputSize), labels.AsSpan(0, rows));
            return model.Gradients.ToArray();
        }

        // 64 rows × 529 K multiply-adds per layer: past the 32 M from which a product splits by itself.
        long splits = BatchSplit.SplitSteps, jobs = WorkerPool.SplitJobs;
        float[] oneThread = Gradients(1, batch);
        float[] twoThreads = Gradients(2, batch);
        Assert.Equal(splits, BatchSplit.SplitSteps);
        Assert.True(WorkerPool.SplitJobs > jobs, "the step ran whole, but none of its products split either");
        Assert.Equal(oneThread, twoThreads);

        // Half the rows: the products no longer split well alone, and the step splits by rows.
        Gradients(2, batch / 2);
        Assert.Equal(splits + 1, BatchSplit.SplitSteps);
        Assert.Equal(1, BatchSplit.Parts(batch, 1024 * 1024 + 1024 * 10, layers: 2));
        Assert.Equal(2, BatchSplit.Parts(batch / 2, 1024 * 1024 + 1024 * 10, layers: 2));
    }

    private static byte[] State(WideNetwork model, WideNetwork.Trainer trainer) =>
        [.. MemoryMarshal.AsBytes(model.Parameters).ToArray(), .. trainer.Optimizer.State.SelectMany(buffer => MemoryMarshal.AsBytes(buffer.AsSpan()).ToArray())];

    /// <summary>
    /// Puts the thread count and the split thresholds back afterwards; with <paramref name="splitSmall"/>, lets the tiny
    /// gradient-check models split (otherwise the default thresholds hold).
    /// </summary>
    private sealed class ThreadScope : IDisposable
    {
        private readonly int _threads = Gemm.ThreadCount;
        private readonly long _minMultiplyAdds = BatchSplit.MinMultiplyAdds;
        private readonly int _minRows = BatchSplit.MinRowsPerPart;

        public ThreadScope(bool splitSmall = true)
        {
            if (!splitSmall)
                return;
            BatchSplit.MinMultiplyAdds = 0;
            BatchSplit.MinRowsPerPart = 1;
        }

        public void Dispose()
        {
            Gemm.ThreadCount = _threads;
            BatchSplit.MinMultiplyAdds = _minMultiplyAdds;
            BatchSplit.MinRowsPerPart = _minRows;
        }
    }
}
