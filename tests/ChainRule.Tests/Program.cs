using System;
using ChainRule.Tests.Serialization;

namespace ChainRule.Tests;

/// <summary>
/// The test assembly's entry point. Test runners never call it; <c>dotnet exec ChainRule.Tests.dll</c> with a
/// helper's name runs that helper as a child process.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == CheckpointKillTests.HelperName)
        {
            CheckpointKillTests.SaveForever(args[1]);
            return 0;
        }
        if (args.Length == 2 && args[0] == CheckpointResumeTests.HelperName)
        {
            CheckpointResumeTests.Resume(args[1]);
            return 0;
        }
        Console.Error.WriteLine($"usage: ChainRule.Tests {CheckpointKillTests.HelperName} <path> | {CheckpointResumeTests.HelperName} <directory>");
        return 2;
    }
}
