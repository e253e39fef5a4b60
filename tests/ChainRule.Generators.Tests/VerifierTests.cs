using System;
using System.IO;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>The snapshot helper must fail on a difference, say where, and leave the received text for review.</summary>
public class VerifierTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("chainrule-verify-").FullName;

    private string SourceFile => Path.Combine(_directory, "SampleTests.cs");

    private string Snapshot(string kind) => Path.Combine(_directory, "Snapshots", $"SampleTests.Case.{kind}.cs");

    [Fact]
    public void MatchingTextPassesAndLeavesNoReceivedFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Snapshot("verified"))!);
        File.WriteAllText(Snapshot("verified"), "line 1\nline 2\n");
        Verifier.Check("line 1\r\nline 2\r\n", "cs", SourceFile, "Case", autoVerify: false);
        Assert.False(File.Exists(Snapshot("received")));
    }

    [Fact]
    public void DifferenceFailsWithADiffAndWritesTheReceivedText()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Snapshot("verified"))!);
        File.WriteAllText(Snapshot("verified"), "a\nb\nc\n");
        var error = Assert.Throws<SnapshotMismatchException>(() => Verifier.Check("a\nB\nc\n", "cs", SourceFile, "Case", autoVerify: false));
        Assert.Contains("- b", error.Message, StringComparison.Ordinal);
        Assert.Contains("+ B", error.Message, StringComparison.Ordinal);
        Assert.Contains("first difference at line 2", error.Message, StringComparison.Ordinal);
        Assert.Equal("a\nB\nc\n", File.ReadAllText(Snapshot("received")));
    }

    [Fact]
    public void MissingSnapshotFailsRatherThanPassing()
    {
        Assert.Throws<SnapshotMismatchException>(() => Verifier.Check("new", "cs", SourceFile, "Case", autoVerify: false));
        Assert.True(File.Exists(Snapshot("received")));
    }

    [Fact]
    public void GeneratorVersionIsScrubbed() =>
        Assert.Equal("[GeneratedCode(\"ChainRule.Generators\", \"{version}\")]", Verifier.Scrub("[GeneratedCode(\"ChainRule.Generators\", \"1.2.3.4\")]"));

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}
