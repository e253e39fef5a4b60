using System;
using System.Diagnostics;
using System.Threading;
using DigitClassifier;

namespace AotInference;

/// <summary>Batch-1 <c>Predict</c> on one shared model from several threads at once, every answer checked.</summary>
internal static class Serving
{
    /// <summary>Passes each thread makes over the held-out digits while timed.</summary>
    public const int Rounds = 20;

    /// <summary>One thread count's latencies, throughput, wrong answers and allocations.</summary>
    public sealed record Result(int Predictions, double P50Microseconds, double P99Microseconds, double PerSecond, long Wrong, long ThreadBytes, long ProcessBytes);

    /// <summary>
    /// Starts <paramref name="threads"/> threads that each predict every held-out digit once to warm up (creating that
    /// thread's workspace), then, released together, <see cref="Rounds"/> times more, each from its own starting digit so
    /// that threads ask different questions at the same moment. Every answer is compared bit for bit with
    /// <paramref name="serial"/>; each thread reads its allocation counter around its timed loop, and the process's counter is read around them all.
    /// </summary>
    public static Result Run(Classifier model, Digits data, float[] serial, int threads)
    {
        int perThread = Rounds * data.Count;
        var latencies = new long[threads][];
        var wrong = new long[threads];
        var allocated = new long[threads];
        // Spun on, not waited for: a thread that blocks in a Barrier or an event allocates its wait objects (NativeAOT's
        // Monitor is managed code), which would blur the process-wide count around the timed loops.
        var gates = new Gates();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            latencies[t] = new long[perThread];
            // An exception here ends the process (non-zero), which is what a failed check should do.
            workers[t] = new Thread(() => Serve(model, data, serial, thread, latencies[thread], gates, out wrong[thread], out allocated[thread]))
                { IsBackground = true, Name = $"predictor {t}" };
            workers[t].Start();
        }
        Gates.SpinUntil(ref gates.Ready, threads);
        long processBefore = GC.GetTotalAllocatedBytes(precise: true);
        long started = Stopwatch.GetTimestamp();
        Volatile.Write(ref gates.Go, 1);
        Gates.SpinUntil(ref gates.Done, threads);
        long finished = Stopwatch.GetTimestamp();
        long processBytes = GC.GetTotalAllocatedBytes(precise: true) - processBefore;
        foreach (Thread worker in workers)
            worker.Join();

        long[] all = new long[threads * perThread];
        for (int t = 0; t < threads; t++)
            latencies[t].CopyTo(all, t * perThread);
        Array.Sort(all);
        double microsecondsPerTick = 1e6 / Stopwatch.Frequency;
        long wrongTotal = 0, threadBytes = 0;
        for (int t = 0; t < threads; t++)
        {
            wrongTotal += wrong[t];
            threadBytes += allocated[t];
        }
        return new Result(all.Length, all[all.Length / 2] * microsecondsPerTick, all[(int)(all.Length * 0.99)] * microsecondsPerTick,
            all.Length / Stopwatch.GetElapsedTime(started, finished).TotalSeconds, wrongTotal, threadBytes, processBytes);
    }

    private static void Serve(Classifier model, Digits data, float[] serial, int thread, long[] latencies, Gates gates, out long wrong, out long allocated)
    {
        const int Width = Classifier.OutputSize;
        float[] output = new float[Width];
        wrong = 0;
        // Warm-up covers every path the timed loop takes: the same call on every digit it will be given.
        for (int i = 0; i < data.Count; i++)
        {
            model.Predict(data.Image(i), output);
            if (!output.AsSpan().SequenceEqual(serial.AsSpan(i * Width, Width)))
                wrong++;
        }
        Interlocked.Increment(ref gates.Ready);
        Gates.SpinUntil(ref gates.Go, 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int call = 0;
        for (int round = 0; round < Rounds; round++)
        {
            for (int n = 0; n < data.Count; n++)
            {
                int i = (n + thread * 37) % data.Count;
                long start = Stopwatch.GetTimestamp();
                model.Predict(data.Image(i), output);
                latencies[call++] = Stopwatch.GetTimestamp() - start;
                if (!output.AsSpan().SequenceEqual(serial.AsSpan(i * Width, Width)))
                    wrong++;
            }
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Interlocked.Increment(ref gates.Done);
    }

    /// <summary>Counters the main thread and the predictors meet at: warmed up, released, finished.</summary>
    private sealed class Gates
    {
        public int Ready, Go, Done;

        public static void SpinUntil(ref int counter, int value)
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref counter) < value)
                spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
