using System;
using System.Diagnostics;
using System.Globalization;

namespace AotInference;

/// <summary>Start-up to first prediction: the operating system's record of when the process began, then Main's own clock.</summary>
internal static class Startup
{
    /// <summary>
    /// Prints process start → first prediction returned, and its parts. The time before Main (loading the binary, the
    /// runtime's start) is seen only through the process start time, which Linux keeps in clock ticks (10 ms), so the total
    /// is that coarse; the parts after Main come from <see cref="Stopwatch"/>.
    /// </summary>
    public static void Report(DateTime mainStartedUtc, long mainStarted, long loaded, long firstAnswered)
    {
        DateTime processStartedUtc = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        double beforeMain = (mainStartedUtc - processStartedUtc).TotalMilliseconds;
        double load = Stopwatch.GetElapsedTime(mainStarted, loaded).TotalMilliseconds;
        double first = Stopwatch.GetElapsedTime(loaded, firstAnswered).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"start-up: {beforeMain + load + first:F1} ms from process start to the first prediction returned (process start → Main {beforeMain:F1} ms, in the kernel's 10 ms ticks; Main → checkpoint loaded {load:F2} ms; first Predict {first:F3} ms)"));
    }
}
