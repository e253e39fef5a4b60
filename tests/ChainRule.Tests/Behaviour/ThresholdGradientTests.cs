using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ChainRule.Kernels;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Behaviour;

/// <summary>
/// Gradient checks of generated models at sizes on both sides of every kernel threshold: one row (batch-1 training,
/// and the one-row column split at 2 threads), just under and at <see cref="Gemm.PackedMinRows"/>, past the generated
/// <c>PredictChunk</c>, and a batch whose products split across threads by every rule (rows of an unpacked product,
/// outputs and multiply-adds of a packed one). Central differences in double on a sample of each tensor's parameters;
/// the float twin, loaded with the same parameters, against the double model.
/// </summary>
// Changes Gemm.ThreadCount, which is global: tests that do run one at a time.
[Collection("Worker pool")]
public class ThresholdGradientTests(ITestOutputHelper log)
{
    private static int PredictChunk { get; } = (int)typeof(ThresholdNet).GetField("PredictChunk", BindingFlags.NonPublic | BindingFlags.Static)!.GetRawConstantValue()!;

    /// <summary>The smallest batch at which every product of <see cref="ThresholdNet"/> at 2 threads is split.</summary>
    private static int SplitBatch { get; } = (int)Math.Max(
        (Gemm.ParallelMinDotRows + ThresholdSizes.Wide - 1) / ThresholdSizes.Wide,      // the unpacked Wide → BelowPacked product, by rows
        (Gemm.ParallelMinOutputs + ThresholdSizes.Wide - 1) / ThresholdSizes.Wide);     // the packed Depth → Wide product, by outputs

    public static TheoryData<int, int> BatchesAndThreads() => new()
    {
        { 1, 1 }, { 1, 2 },
        { Gemm.PackedMinRows - 1, 1 }, { Gemm.PackedMinRows, 1 }, { Gemm.PackedMinRows, 2 },
        { PredictChunk + 1, 1 },
        { SplitBatch, 2 },
    };

    [Fact]
    public void The_sizes_cross_the_thresholds_they_are_named_for()
    {
        Assert.True(ThresholdSizes.Depth > Gemm.DepthBlock && ThresholdSizes.Depth % 2 == 1);
        Assert.True(ThresholdSizes.Wide > Gemm.ColumnBlock && ThresholdSizes.Wide > Gemm.RowBlock && ThresholdSizes.Wide % Gemm.PackedMinColumns != 0);
        Assert.True((long)ThresholdSizes.Wide * ThresholdSizes.Depth >= Gemm.ParallelMinDotRow, "batch 1 splits by columns at 2 threads");
        Assert.True((long)SplitBatch * ThresholdSizes.Wide * ThresholdSizes.Depth >= Gemm.ParallelMinMultiplyAdds);
        Assert.True(LongBufferNet.ParameterCount >= ParallelRange.MinLength);
    }

    [Theory]
    [MemberData(nameof(BatchesAndThreads))]
    public void Gradients_match_central_differences_across_the_kernel_thresholds(int batch, int threads) => Reference.WithThreads(threads, () =>
    {
        var model = new ThresholdNet(batch * 7 + threads);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = batch });
        double[] inputs = NumericAssert.ToDouble<float>(Reference.RandomFloats(batch + 100, batch * ThresholdSizes.Depth));
        double[] targets = NumericAssert.ToDouble<float>(Reference.RandomFloats(batch + 200, batch * ThresholdSizes.Outputs));
        long splitsBefore = WorkerPool.SplitJobs;
        trainer.ComputeGradients(inputs, targets);
        double[] analytic = model.Gradients.ToArray();
        if (threads > 1 && (batch == 1 || batch >= SplitBatch))
            Assert.True(WorkerPool.SplitJobs > splitsBefore, "at 2 threads this batch should split a product");

        int[] sample = Sample(model, perTensor: batch >= SplitBatch ? 2 : 6, seed: batch);
        double scale = analytic.Max(Math.Abs);
        Assert.True(scale > 0);
        double worst = 0;
        int worstIndex = -1;
        foreach (int i in sample)
        {
            double original = model.Parameters[i];
            const double h = 1e-6;
            model.Parameters[i] = original + h;
            double plus = trainer.Evaluate(inputs, targets);
            model.Parameters[i] = original - h;
            double minus = trainer.Evaluate(inputs, targets);
            model.Parameters[i] = original;
            double error = Math.Abs((plus - minus) / (2 * h) - analytic[i]);
            if (error > worst) { worst = error; worstIndex = i; }
        }
        log.WriteLine($"batch {batch}, {threads} thread(s): {sample.Length} parameters, max |g| {scale:E2}, worst error {worst / scale:E2} at {worstIndex}");
        Assert.True(worst <= 1e-6 * scale, $"batch {batch}, {threads} thread(s): parameter {worstIndex}: analytic {analytic[worstIndex]:E10}, error {worst:E3} against max |g| {scale:E3}");

        CheckFloatTwin(model, inputs, targets, batch, analytic);
        if (batch > PredictChunk)
            CheckPredictBatch(model, trainer, inputs, targets, batch);
    });

    /// <summary>The same network in float, with the double model's parameters rounded to float (and the double model given them back).</summary>
    private static void CheckFloatTwin(ThresholdNet model, double[] inputs, double[] targets, int batch, double[] _)
    {
        var single = new ThresholdNetFloat(1);
        for (int i = 0; i < ThresholdNet.ParameterCount; i++)
        {
            single.Parameters[i] = (float)model.Parameters[i];
            model.Parameters[i] = single.Parameters[i];
        }
        float[] x = inputs.Select(v => (float)v).ToArray(), t = targets.Select(v => (float)v).ToArray();
        model.CreateTrainer(new TrainerOptions { MaxBatch = batch }).ComputeGradients(inputs, targets);
        single.CreateTrainer(new TrainerOptions { MaxBatch = batch }).ComputeGradients(x, t);
        double[] expected = model.Gradients.ToArray();
        double scale = expected.Max(Math.Abs);
        double worst = expected.Select((g, i) => Math.Abs(g - single.Gradients[i])).Max();
        Assert.True(worst <= 1e-4 * scale, $"float gradients differ from double by {worst:E3} (max |g| {scale:E3}) at batch {batch}");
    }

    /// <summary>PredictBatch goes through the generated chunks of <c>PredictChunk</c> rows; its outputs give Evaluate's loss.</summary>
    private static void CheckPredictBatch(ThresholdNet model, ThresholdNet.Trainer trainer, double[] inputs, double[] targets, int batch)
    {
        var outputs = new double[batch * ThresholdSizes.Outputs];
        model.PredictBatch(inputs, outputs);
        double loss = outputs.Select((y, i) => (y - targets[i]) * (y - targets[i])).Sum() / outputs.Length;
        double evaluated = trainer.Evaluate(inputs, targets);
        Assert.True(Math.Abs(loss - evaluated) <= 1e-12 * evaluated, $"PredictBatch's loss {loss:R} vs Evaluate {evaluated:R}");
    }

    /// <summary>A few parameters of every tensor: its first and last and some between.</summary>
    private static int[] Sample(ThresholdNet model, int perTensor, int seed)
    {
        var random = new Random(seed);
        var indices = new List<int>();
        int offset = 0;
        foreach (var layer in new[] { model.Wide, model.BelowPacked, model.AtPacked, model.Output })
        {
            foreach (int length in new[] { layer.Inputs * layer.Outputs, layer.Outputs })
            {
                indices.Add(offset);
                indices.Add(offset + length - 1);
                for (int i = 2; i < perTensor; i++)
                    indices.Add(offset + random.Next(length));
                offset += length;
            }
        }
        return indices.Distinct().ToArray();
    }

    [Fact]
    public void A_parameter_buffer_past_the_split_length_trains_alike_at_one_and_two_threads()
    {
        const int batch = 4;
        double[] inputs = NumericAssert.ToDouble<float>(Reference.RandomFloats(301, batch * ThresholdSizes.LongInputs));
        double[] targets = NumericAssert.ToDouble<float>(Reference.RandomFloats(302, batch * 2));
        double[] Train(TrainerOptions trainerOptions, int threads, out long splits)
        {
            double[] result = [];
            long counted = 0;
            Reference.WithThreads(threads, () =>
            {
                var model = new LongBufferNet(303);
                var trainer = model.CreateTrainer(trainerOptions);
                long before = ParallelRange.SplitCount;
                trainer.Step(inputs, targets);
                counted = ParallelRange.SplitCount - before;
                result = model.Parameters.ToArray();
            });
            splits = counted;
            return result;
        }

        var fresh = new LongBufferNet(303);
        double[] initial = fresh.Parameters.ToArray();
        fresh.CreateTrainer(new TrainerOptions { MaxBatch = batch }).ComputeGradients(inputs, targets);
        double[] gradients = fresh.Gradients.ToArray();
        double maxNorm = 0.5 * Math.Sqrt(gradients.Sum(g => g * g)); // clipping scales the whole buffer
        double coefficient = maxNorm / (2 * maxNorm + 1e-6);
        // ε far below every checked gradient, so the first Adam step is lr·sign(ĝ) to well under the tolerance.
        var options = new TrainerOptions { MaxBatch = batch, Optimizer = Optimizers.Adam(1e-3, epsilon: 1e-12), Clip = Clipping.GlobalNorm(maxNorm) };
        double[] serial = Train(options, 1, out long serialSplits);
        double[] split = Train(options, 2, out long splitSplits);
        Assert.Equal(0, serialSplits);
        Assert.True(splitSplits >= 2, $"the global-norm scale and the Adam update should split; {splitSplits} split");
        // Adam's first step moves a parameter by lr·ĝ/(|ĝ| + ε) for the clipped gradient ĝ: −lr·sign(g) within lr·ε/|ĝ|.
        int checkedCount = 0;
        for (int i = 0; i < serial.Length; i++)
        {
            double clipped = gradients[i] * coefficient;
            if (Math.Abs(clipped) < 1e-7)
                continue;
            checkedCount++;
            if (!(Math.Abs(initial[i] - serial[i] - 1e-3 * Math.Sign(clipped)) <= 1e-7))
                Assert.Fail($"parameter {i}: moved {serial[i] - initial[i]:E6}, clipped gradient {clipped:E3}");
        }
        Assert.True(checkedCount > serial.Length / 2, $"only {checkedCount} parameters have a clipped gradient large enough to check");
        NumericAssert.Close<double>(serial, split, 1e-12, 1e-9, "parameters after one step at 2 threads vs 1");
    }
}
