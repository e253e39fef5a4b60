using System;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests;

/// <summary>
/// Measures what a call allocates once warm, so that "0 bytes per step" tests stay true under tiered compilation.
/// </summary>
/// <remarks>
/// <para>
/// The first calls of a method run tier-0 code; after <see cref="WarmUpCalls"/> calls the runtime has had the chance to
/// count 30 of them and promote it to tier 1. But part of that promotion's bookkeeping (call-counting stubs, on-stack
/// replacement of a running loop, the rejit) is done on the calling thread, and it need not be over when the warm-up
/// is: the runtime starts counting calls only once no new method has been jitted for 100 ms, which in a suite running
/// other tests beside this one can be long after the warm-up. So a one-off promotion can still land in a measured
/// window (1,840 and 6,272 bytes in a recurrent kernel's 3-step window, never with <c>DOTNET_TieredCompilation=0</c>).
/// </para>
/// <para>
/// Hence several windows, and the smallest of their byte counts: a real per-call allocation shows in every window, so
/// the least stays above 0 and the test still fails, while a one-off JIT or tiering allocation shows in one window
/// only. The first window that reads 0 ends the measurement, so a passing test pays for one window. What no window
/// count sees is an allocation rarer than once per window (a list doubling its capacity): that is no weaker than the
/// single window these tests had before.
/// </para>
/// </remarks>
internal static class Allocations
{
    /// <summary>Calls before the first window: JIT, static constructors, and past the runtime's tier-1 threshold of 30 calls.</summary>
    public const int WarmUpCalls = 40;

    /// <summary>The most windows measured before the smallest count is taken as the call's own.</summary>
    public const int Windows = 5;

    private static readonly long[] s_threadBytes = new long[WorkerPool.MaxThreads];
    private static readonly Action<int> s_readThreadBytes = part => s_threadBytes[part] = GC.GetAllocatedBytesForCurrentThread();

    /// <summary>
    /// Fails, naming <paramref name="what"/>, unless <paramref name="calls"/> calls of <paramref name="call"/> allocate
    /// nothing on the current thread after <paramref name="warmUpCalls"/> calls: see
    /// <see cref="Measure(Action, int, int, Func{long})"/>.
    /// </summary>
    public static void AssertNone(string what, Action call, int calls, int warmUpCalls = WarmUpCalls) =>
        AssertNone(what, call, calls, warmUpCalls, GC.GetAllocatedBytesForCurrentThread);

    /// <summary>As <see cref="AssertNone(string, Action, int, int)"/>, counting with <paramref name="allocatedBytes"/>.</summary>
    public static void AssertNone(string what, Action call, int calls, int warmUpCalls, Func<long> allocatedBytes)
    {
        long bytes = Measure(call, calls, warmUpCalls, allocatedBytes);
        Assert.True(bytes == 0, $"{what}: {bytes} bytes allocated per {calls} calls after {warmUpCalls} warm-up calls (the least of {Windows} windows)");
    }

    /// <summary>
    /// Calls <paramref name="call"/> <paramref name="warmUpCalls"/> times, then up to <see cref="Windows"/> windows of
    /// <paramref name="calls"/> calls each, and returns the fewest bytes <paramref name="allocatedBytes"/> counted in a
    /// window: 0 as soon as one window reads 0.
    /// </summary>
    /// <param name="allocatedBytes">A running byte count that itself allocates nothing, e.g. <see cref="GC.GetAllocatedBytesForCurrentThread"/>.</param>
    private static long Measure(Action call, int calls, int warmUpCalls, Func<long> allocatedBytes)
    {
        for (int i = 0; i < warmUpCalls; i++)
            call();
        long least = long.MaxValue;
        for (int window = 0; window < Windows && least != 0; window++)
        {
            long before = allocatedBytes();
            for (int i = 0; i < calls; i++)
                call();
            least = Math.Min(least, allocatedBytes() - before);
        }
        return least;
    }

    /// <summary>
    /// The bytes allocated so far by the calling thread and the worker pool's threads together, for
    /// <paramref name="threads"/> threads (<see cref="Gemm.ThreadCount"/>): each counts its own, in a job on the pool,
    /// since a worker's allocations are invisible to the caller's counter. Allocates nothing.
    /// </summary>
    public static long OnPoolThreads(int threads)
    {
        Assert.True(WorkerPool.TryRun(s_readThreadBytes, threads), "the pool runs a job on every thread");
        long sum = 0;
        for (int part = 0; part < threads; part++)
            sum += s_threadBytes[part];
        return sum;
    }
}
