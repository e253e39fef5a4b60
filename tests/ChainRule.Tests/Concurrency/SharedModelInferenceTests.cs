using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using ChainRule.Kernels;
using ChainRule.Tests.Behaviour;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Concurrency;

/// <summary>A float MLP wide enough that a batch takes the packed product and, at 2 kernel threads, a batch-1 first layer (256 × 256) splits.</summary>
[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SharedClassifier
{
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [Dense(128, Activation.Tanh)] public partial DenseLayer<float> Hidden2 { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>BatchNorm between wide layers: inference reads the running statistics, set here away from 0 and 1.</summary>
[Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SharedBatchNormClassifier
{
    [Dense(128, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [BatchNorm] public partial NormLayer<float> Norm { get; }
    [Dense(96, Activation.ReLU)] public partial DenseLayer<float> Hidden2 { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>
/// Eight threads share one model for about two seconds, calling <c>Predict</c> and <c>PredictBatch</c> on their own
/// inputs: every output must equal, bit for bit, what one thread computed alone beforehand, and after warm-up no thread
/// allocates a byte per prediction. With one workspace shared by every caller, threads overwrite each other's
/// activations mid-pass and return another sample's (or a mixture's) outputs.
/// </summary>
// Spawns threads that keep both cores busy: run alone, not beside the timing- and thread-sensitive tests.
[Collection("Worker pool")]
public class SharedModelInferenceTests(ITestOutputHelper log)
{
    private const int Threads = 8;
    private const int Samples = 64;   // per thread, each thread its own
    private const int Batch = 37;     // two full predict chunks and a tail
    private const int Window = 8;     // calls per allocation measurement
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(1);  // per method, so two seconds per model

    /// <summary>What one model exposes to the test, so both models run the same hammer.</summary>
    private sealed record Subject(int InputSize, int OutputSize, PredictOne Predict, PredictMany PredictBatch);

    private delegate void PredictOne(ReadOnlySpan<float> input, Span<float> output);
    private delegate void PredictMany(ReadOnlySpan<float> inputs, Span<float> outputs);

    /// <summary>
    /// At 2 kernel threads the callers also race for the worker pool: whoever loses runs its product alone, same result.
    /// Every thread warms up both ways (see <see cref="WarmUp"/>), so neither way is a first time once measuring starts.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Eight_threads_sharing_a_dense_model_predict_exactly_what_one_thread_does_without_allocating(int kernelThreads) => Reference.WithThreads(kernelThreads, () =>
    {
        var model = new SharedClassifier(71);
        long splitBefore = ChainRule.Kernels.WorkerPool.SplitJobs;
        Hammer(new Subject(SharedClassifier.InputSize, SharedClassifier.OutputSize, model.Predict, model.PredictBatch), seed: 72);
        long split = ChainRule.Kernels.WorkerPool.SplitJobs - splitBefore;
        log.WriteLine($"{split:N0} products split across the pool");
        if (kernelThreads > 1)
            Assert.True(split > 0, "no product was split: the race for the worker pool was not exercised");
    });

    /// <summary>At 1 kernel thread, whatever the default: this model's products are too small to split.</summary>
    [Fact]
    public void Eight_threads_sharing_a_batch_norm_model_predict_exactly_what_one_thread_does_without_allocating() => Reference.WithThreads(1, () =>
    {
        var model = new SharedBatchNormClassifier(73);
        var random = new Random(74);
        Span<float> mean = model.Norm.RunningMean, variance = model.Norm.RunningVariance;
        for (int f = 0; f < mean.Length; f++)
        {
            mean[f] = (float)(random.NextDouble() - 0.5);
            variance[f] = (float)(0.5 + random.NextDouble());
        }
        Hammer(new Subject(SharedBatchNormClassifier.InputSize, SharedBatchNormClassifier.OutputSize, model.Predict, model.PredictBatch), seed: 75);
    });

    private void Hammer(Subject model, int seed)
    {
        int n = model.InputSize, m = model.OutputSize;
        float[][] inputs = [.. Enumerable.Range(0, Threads).Select(t => Reference.RandomFloats(seed * 100 + t, Samples * n))];

        // Serial truth, computed before any other thread touches the model.
        float[][] single = new float[Threads][], batched = new float[Threads][];
        for (int t = 0; t < Threads; t++)
        {
            single[t] = new float[Samples * m];
            for (int s = 0; s < Samples; s++)
                model.Predict(inputs[t].AsSpan(s * n, n), single[t].AsSpan(s * m, m));
            batched[t] = new float[Batch * m];
            model.PredictBatch(inputs[t].AsSpan(0, Batch * n), batched[t]);
        }

        var wrong = new long[Threads];
        var calls = new long[Threads];
        var allocated = new long[Threads];
        var windows = new int[Threads];
        var allocatingWindows = new int[Threads];
        var failures = new Exception?[Threads];
        using var start = new Barrier(Threads);
        using var warmUp = new WarmUp(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                float[] output = new float[m], outputs = new float[Batch * m];
                ReadOnlySpan<float> mine = inputs[t];
                warmUp.Run(() =>
                {
                    model.Predict(inputs[t].AsSpan(0, n), output);
                    model.PredictBatch(inputs[t].AsSpan(0, Batch * n), outputs);
                });
                start.SignalAndWait();
                // A window counts only if no collection began or ended between its two byte counts: the count is read
                // before and after each byte count, and a window is compared from its start's "before" to its end's "after".
                int collections = GC.CollectionCount(0);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int phase = 0; phase < 2; phase++)
                {
                    bool batch = phase == 1;
                    long end = Stopwatch.GetTimestamp() + (long)(Duration.TotalSeconds * Stopwatch.Frequency);
                    for (int i = 0; Stopwatch.GetTimestamp() < end; i++)
                    {
                        if (batch)
                        {
                            model.PredictBatch(mine[..(Batch * n)], outputs);
                            if (!outputs.AsSpan().SequenceEqual(batched[t]))
                                wrong[t]++;
                        }
                        else
                        {
                            int s = i % Samples;
                            model.Predict(mine.Slice(s * n, n), output);
                            if (!output.AsSpan().SequenceEqual(single[t].AsSpan(s * m, m)))
                                wrong[t]++;
                        }
                        calls[t]++;
                        // A collection can count the unused rest of this thread's allocation quantum (up to 8 KB) as
                        // allocated; only windows no collection touched measure the predictions.
                        if (i % Window == Window - 1)
                        {
                            int collectionsBeforeNow = GC.CollectionCount(0);
                            long now = GC.GetAllocatedBytesForCurrentThread();
                            int collectionsNow = GC.CollectionCount(0);
                            if (collectionsNow == collections)
                            {
                                allocated[t] += now - before;
                                windows[t]++;
                                if (now != before)
                                    allocatingWindows[t]++;
                            }
                            before = now;
                            collections = collectionsBeforeNow;
                        }
                    }
                }
            }
            catch (Exception e)
            {
                failures[t] = e;
            }
        }) { IsBackground = true }).ToArray();
        foreach (Thread thread in threads)
            thread.Start();
        warmUp.Direct();
        foreach (Thread thread in threads)
            thread.Join();
        warmUp.Check(log);

        log.WriteLine($"{calls.Sum():N0} calls on {Threads} threads, {wrong.Sum():N0} wrong; bytes allocated per thread: {string.Join(", ", allocated)} (in {string.Join(", ", allocatingWindows)} windows) in {string.Join(", ", windows)} windows of {Window} calls without a collection");
        Assert.All(failures, failure => Assert.Null(failure));
        Assert.True(calls.All(c => c >= 20), $"some thread made too few calls to mean anything: {string.Join(", ", calls)}");
        Assert.Equal(0, wrong.Sum());
        // Timestamps and the loop allocate nothing, so any byte here is the predictions'.
        Assert.All(windows, count => Assert.True(count > 0, "every window saw a collection: allocation was not measured"));
        // An allocation per prediction shows in every window. What is tolerated is one window per thread of at most one
        // allocation quantum (8 KB): after warm-up, CI twice saw a single 5–8 KB step on one or two of the eight threads
        // in thousands of windows (5,504 B, then 5,616 and 8,176 B at 1 kernel thread, so not the worker pool), which no
        // isolated reproduction explained; it is the size of the allocation context the runtime hands a thread, not a
        // prediction's. Anything more often or larger fails.
        Assert.All(allocatingWindows, count => Assert.True(count <= 1, $"allocation in {count} windows of one thread: {string.Join(", ", allocatingWindows)}"));
        Assert.All(allocated, bytes => Assert.InRange(bytes, 0, 8192));
    }

    /// <summary>
    /// Each thread's warm-up, run twice before measuring: once alone with the worker pool free, so that at 2 kernel
    /// threads its batch-1 product splits, and once with the pool held by the test, so that its product runs on the
    /// caller as it does whenever another thread has won the pool. Warming up all at once leaves it to the race which of
    /// the two a thread has seen, and the other would first happen while measured.
    /// </summary>
    private sealed class WarmUp(int threads) : IDisposable
    {
        private readonly SemaphoreSlim _alone = new(0);
        private readonly CountdownEvent _aloneDone = new(threads);
        private readonly ManualResetEventSlim _poolHeld = new();
        private readonly CountdownEvent _heldDone = new(threads);
        private int _failed;

        /// <summary>On a predictor thread: runs <paramref name="predict"/> alone, then while the pool is held.</summary>
        public void Run(Action predict)
        {
            _alone.Wait();
            try
            {
                predict();
            }
            catch
            {
                Interlocked.Exchange(ref _failed, 1);
                throw;
            }
            finally
            {
                _aloneDone.Signal();
                _alone.Release();
            }
            _poolHeld.Wait();
            try
            {
                predict();
            }
            finally
            {
                _heldDone.Signal();
            }
        }

        private long _splitAlone, _splitWhileHeld;
        private bool _held;

        /// <summary>On the test's thread: lets the threads warm up one at a time, then all together while it holds the pool.</summary>
        public void Direct()
        {
            long splitBefore = WorkerPool.SplitJobs;
            _alone.Release();
            _aloneDone.Wait();
            _splitAlone = WorkerPool.SplitJobs - splitBefore;

            splitBefore = WorkerPool.SplitJobs;
            _held = WorkerPool.TryRun(part =>
            {
                if (part == 0)
                {
                    _poolHeld.Set();
                    _heldDone.Wait();
                }
            }, parts: 2);
            if (!_held)
            {
                _poolHeld.Set();
                _heldDone.Wait();
            }
            _splitWhileHeld = WorkerPool.SplitJobs - splitBefore - (_held ? 1 : 0);
        }

        /// <summary>After the threads have finished: with a pool, both rounds did what they are for.</summary>
        public void Check(ITestOutputHelper log)
        {
            log.WriteLine($"warm-up: {_splitAlone} products split alone; pool {(_held ? "held" : "absent")} in the second round, {_splitWhileHeld} split meanwhile");
            if (WorkerPool.Threads == 1 || _failed != 0)
                return;
            Assert.True(_splitAlone >= threads, $"warmed up alone, only {_splitAlone} of {threads} threads split their product");
            Assert.True(_held, "the test could not hold the worker pool for the second warm-up round");
            Assert.Equal(0, _splitWhileHeld);
        }

        public void Dispose()
        {
            _alone.Dispose();
            _aloneDone.Dispose();
            _poolHeld.Dispose();
            _heldDone.Dispose();
        }
    }
}
