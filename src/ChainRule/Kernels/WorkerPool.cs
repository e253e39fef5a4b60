using System;
using System.Diagnostics;
using System.Threading;

namespace ChainRule.Kernels;

/// <summary>
/// Persistent worker threads that run the parts of one job beside the calling thread, for matrix products big enough
/// to split. Workers spin between jobs (a hand-off costs well under a microsecond, an OS wake-up some 30 µs) and
/// park only after <see cref="SpinMicroseconds"/> without work. A job is a static callback and an integer part
/// index, so running one allocates nothing.
/// </summary>
internal sealed class WorkerPool
{
    /// <summary>How long an idle worker spins before it parks: long enough to bridge the elementwise work between products.</summary>
    internal const int SpinMicroseconds = 1000;

    /// <summary>The most threads <see cref="Threads"/> accepts; per-part results are kept in arrays of this length.</summary>
    internal const int MaxThreads = 64;

    private static readonly object s_gate = new();
    private static int s_threads = InitialThreads();
    private static WorkerPool? s_pool = s_threads > 1 ? new WorkerPool(s_threads) : null;

    private readonly Worker[] _workers;
    private Action<int>? _job;
    private int _parts;
    private int _pending;
    private int _busy;
    private volatile int _generation;
    private volatile bool _stopping;

    private WorkerPool(int threads)
    {
        _workers = new Worker[threads - 1];
        for (int w = 0; w < _workers.Length; w++)
        {
            var worker = new Worker(this, part: w + 1);
            _workers[w] = worker;
            var thread = new Thread(worker.Loop) { IsBackground = true, Name = $"ChainRule worker {w + 1}" };
            thread.Start();
        }
    }

    /// <summary>
    /// Threads that split big products and training steps, the caller included: from <c>CHAINRULE_THREADS</c> at
    /// startup, else <see cref="DefaultThreads"/>.
    /// </summary>
    public static int Threads
    {
        get => s_threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxThreads);
            lock (s_gate)
            {
                if (value == s_threads && (value == 1 || s_pool is not null))
                    return;
                s_pool?.Stop();
                s_pool = value > 1 ? new WorkerPool(value) : null;
                s_threads = value;
            }
        }
    }

    /// <summary>
    /// Jobs run split across a pool since startup: lets a test confirm that the work it measures (allocations, results)
    /// really was split, so it cannot pass by running everything on the caller.
    /// </summary>
    internal static long SplitJobs { get; private set; }

    /// <summary>
    /// The most threads the default uses: a training step split by rows gives each thread a slice of the batch, and past
    /// four slices the small and medium models this is for (batches of 64–256) leave each thread too few rows to run its
    /// products at speed, while the parts' gradients still have to be summed.
    /// </summary>
    internal const int DefaultMaxThreads = 4;

    /// <summary>The thread count without <c>CHAINRULE_THREADS</c>: the cores this process may use, at most <see cref="DefaultMaxThreads"/>.</summary>
    internal static int DefaultThreads => Math.Clamp(Environment.ProcessorCount, 1, DefaultMaxThreads);

    private static int InitialThreads()
    {
        string? setting = Environment.GetEnvironmentVariable("CHAINRULE_THREADS");
        return int.TryParse(setting, out int threads) && threads >= 1 && threads <= MaxThreads ? threads : DefaultThreads;
    }

    /// <summary>
    /// Runs <c>job(0) … job(parts − 1)</c>, part 0 on the calling thread, the others on workers, and returns when all are
    /// done. Returns false without running anything when there is no pool or another thread is using it: the caller
    /// then does the work itself.
    /// </summary>
    public static bool TryRun(Action<int> job, int parts)
    {
        WorkerPool? pool = s_pool;
        if (pool is null || parts < 2 || parts > pool._workers.Length + 1)
            return false;
        if (Interlocked.CompareExchange(ref pool._busy, 1, 0) != 0)
            return false;
        try
        {
            pool._job = job;
            pool._parts = parts;
            Volatile.Write(ref pool._pending, parts - 1);
            pool._generation++;
            foreach (Worker worker in pool._workers)
                worker.WakeIfParked();
            job(0);
            var spinner = new SpinWait();
            while (Volatile.Read(ref pool._pending) != 0)
                spinner.SpinOnce(sleep1Threshold: -1);
            SplitJobs++;
            return true;
        }
        finally
        {
            pool._job = null;
            Volatile.Write(ref pool._busy, 0);
        }
    }

    /// <summary>
    /// Retires the pool once its current job (started on another thread) has finished: the pool stays marked busy, so a
    /// later <see cref="TryRun"/> on it runs its job on the caller instead of waiting for workers that have left.
    /// </summary>
    private void Stop()
    {
        var spinner = new SpinWait();
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            spinner.SpinOnce();
        _stopping = true;
        _generation++;
        foreach (Worker worker in _workers)
            worker.WakeIfParked();
    }

    private sealed class Worker(WorkerPool pool, int part)
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _parked;

        public void WakeIfParked()
        {
            if (Interlocked.Exchange(ref _parked, 0) == 1)
                _wake.Release();
        }

        public void Loop()
        {
            // The generation the pool was created with, not the current one: a job published before this thread got
            // here must still find its part run.
            int seen = 0;
            long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                while (pool._generation == seen)
                {
                    Thread.SpinWait(20);
                    if (Stopwatch.GetTimestamp() - start <= spinTicks)
                        continue;
                    // A full fence, not a release write: x86 may let the read of _generation below pass a plain store
                    // still in this core's store buffer, so the publisher could bump the generation, find _parked = 0 and
                    // skip the release while this thread read the old generation and waited forever (a step hung at 2
                    // threads in the W2 benchmark, the caller spinning on _pending beside a parked worker). With both
                    // sides' exchanges totally ordered, a job published after this exchange finds _parked = 1 and
                    // releases the semaphore; one published before it is seen by the read below, and the flag is taken
                    // back (or, if the publisher took it, its release consumed).
                    Interlocked.Exchange(ref _parked, 1);
                    if (pool._generation == seen || Interlocked.Exchange(ref _parked, 0) == 0)
                        _wake.Wait();
                    start = Stopwatch.GetTimestamp();
                }
                seen = pool._generation;
                if (pool._stopping)
                    return;
                Action<int>? job = pool._job;
                if (job is not null && part < pool._parts)
                    job(part);
                if (part < pool._parts)
                    Interlocked.Decrement(ref pool._pending);
            }
        }
    }
}
