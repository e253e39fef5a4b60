using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace ChainRule.Generators.Tests;

/// <summary>
/// Snapshot checks with Verify's file conventions: <c>Snapshots/{Class}.{Test}.verified.{ext}</c> is committed
/// beside the test; on a mismatch <c>.received.{ext}</c> is written next to it and the test fails with a diff.
/// Set <c>VERIFY_AUTOVERIFY=1</c> (or <c>true</c>) to accept received text as verified. The signature mirrors
/// Verify.Xunit's <c>Verifier.Verify(target, extension)</c>, called from the test method itself, so moving to
/// Verify is a change of the <c>using static</c> line (plus Verify's own one-time <c>UseDirectory("Snapshots")</c>).
/// </summary>
internal static partial class Verifier
{
    private const int DiffContext = 3;

    public static Task Verify(string target, string extension, [CallerFilePath] string sourceFile = "", [CallerMemberName] string test = "")
    {
        Check(target, extension, sourceFile, test, autoVerify: Environment.GetEnvironmentVariable("VERIFY_AUTOVERIFY") is "1" or "true");
        return Task.CompletedTask;
    }

    /// <summary>Compares <paramref name="target"/> with the verified snapshot of <paramref name="test"/> in <paramref name="sourceFile"/>'s folder.</summary>
    internal static void Check(string target, string extension, string sourceFile, string test, bool autoVerify)
    {
        string directory = Path.Combine(Path.GetDirectoryName(sourceFile)!, "Snapshots");
        string stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(sourceFile)}.{test}");
        string verifiedPath = $"{stem}.verified.{extension}";
        string receivedPath = $"{stem}.received.{extension}";
        string received = Scrub(target);
        string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (verified == received)
        {
            File.Delete(receivedPath);
            return;
        }
        if (autoVerify)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, received);
            File.Delete(receivedPath);
            return;
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, received);
        throw new SnapshotMismatchException(verified is null
            ? $"No verified snapshot at {verifiedPath}. Received text written to {receivedPath}; review it, then rename it or rerun with VERIFY_AUTOVERIFY=1."
            : $"Snapshot {verifiedPath} differs from the received text (written to {receivedPath}); rerun with VERIFY_AUTOVERIFY=1 to accept.\n{Diff(verified, received)}");
    }

    /// <summary>Line endings normalized, the generator's version replaced so that a version bump changes no snapshot.</summary>
    internal static string Scrub(string text) =>
        VersionPattern().Replace(Normalize(text), "\"ChainRule.Generators\", \"{version}\"");

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    /// <summary>The first differing line with a few lines of context on each side, as <c>-</c> verified / <c>+</c> received.</summary>
    internal static string Diff(string verified, string received)
    {
        string[] expected = verified.Split('\n');
        string[] actual = received.Split('\n');
        int first = 0;
        while (first < expected.Length && first < actual.Length && expected[first] == actual[first])
            first++;
        var diff = new StringBuilder();
        int start = Math.Max(0, first - DiffContext);
        for (int i = start; i < first; i++)
            diff.Append("  ").AppendLine(expected[i]);
        for (int i = first; i < Math.Min(expected.Length, first + DiffContext + 1); i++)
            diff.Append("- ").AppendLine(expected[i]);
        for (int i = first; i < Math.Min(actual.Length, first + DiffContext + 1); i++)
            diff.Append("+ ").AppendLine(actual[i]);
        diff.Append($"(first difference at line {first + 1}; verified has {expected.Length} lines, received {actual.Length})");
        return diff.ToString();
    }

    [GeneratedRegex("\"ChainRule\\.Generators\", \"[0-9.]+\"")]
    private static partial Regex VersionPattern();
}

/// <summary>A received snapshot that differs from the verified one.</summary>
public sealed class SnapshotMismatchException(string message) : Exception(message);
