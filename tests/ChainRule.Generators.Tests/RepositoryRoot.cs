using System;
using System.IO;

namespace ChainRule.Generators.Tests;

internal static class RepositoryRoot
{
    /// <summary>The folder holding Compiler.sln, found by walking up from the test binaries.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Compiler.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"No Compiler.sln above {AppContext.BaseDirectory}.");
    }
}
