using System;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Behaviour;

/// <summary>
/// Settings read once at process start (<c>CHAINRULE_THREADS</c>, the runtime's instruction-set switches) need a
/// process of their own: these tests run this test assembly again with <c>dotnet test</c>, the environment set, on a
/// filter that selects the probes below and the kernels' reference tests. A probe checks the setting took effect
/// only when its <c>CHAINRULE_PROBE</c> value is set, so in an ordinary run it passes vacuously and says so.
/// </summary>
public class ChildProcessTests
{
    private const string Probe = "CHAINRULE_PROBE";

    [Fact]
    public void Probe_thread_count_follows_CHAINRULE_THREADS()
    {
        if (Environment.GetEnvironmentVariable(Probe) != "threads")
            return; // only meaningful in the child started below
        Assert.Equal(3, Gemm.ThreadCount);
    }

    [Fact]
    public void Probe_default_thread_count_is_the_cores_up_to_four()
    {
        string? probe = Environment.GetEnvironmentVariable(Probe);
        if (probe?.StartsWith("default-threads:", StringComparison.Ordinal) != true)
            return; // only meaningful in the children started below
        Assert.Equal(int.Parse(probe["default-threads:".Length..], System.Globalization.CultureInfo.InvariantCulture), Gemm.ThreadCount);
    }

    /// <summary>Without <c>CHAINRULE_THREADS</c> the pool takes the cores the runtime reports (<c>DOTNET_PROCESSOR_COUNT</c> here), capped at 4.</summary>
    [Theory]
    [InlineData("3", 3)]
    [InlineData("1", 1)]
    [InlineData("16", 4)]
    public void Without_CHAINRULE_THREADS_the_thread_count_is_the_cores_up_to_four(string processors, int expected) =>
        RunChild(("CHAINRULE_THREADS", ""), ("DOTNET_PROCESSOR_COUNT", processors), (Probe, $"default-threads:{expected}"), filter: "FullyQualifiedName~Probe_default_thread_count");

    [Fact]
    public void Probe_wide_vectors_are_off()
    {
        if (Environment.GetEnvironmentVariable(Probe) != "narrow")
            return; // only meaningful in the child started below
        Assert.False(Vector512.IsHardwareAccelerated);
        Assert.False(Vector256.IsHardwareAccelerated);
        Assert.True(Vector128.IsHardwareAccelerated);
    }

    [Fact]
    public void CHAINRULE_THREADS_sets_the_thread_count_at_startup() =>
        RunChild(("CHAINRULE_THREADS", "3"), (Probe, "threads"), filter: "FullyQualifiedName~Probe_thread_count|FullyQualifiedName~ThresholdGradientTests.The_sizes");

    /// <summary>
    /// With AVX2 and AVX-512 switched off, activations, norms, optimizers and the products run their 128-bit and scalar
    /// forms, checked against the same double references and finite differences as at full width.
    /// </summary>
    [Fact]
    public void Kernels_fall_back_to_narrower_vectors_and_stay_correct() =>
        RunChild(("DOTNET_EnableAVX512F", "0"), ("DOTNET_EnableAVX2", "0"), (Probe, "narrow"),
            filter: "FullyQualifiedName~Probe_wide_vectors|FullyQualifiedName~ActivationTests|FullyQualifiedName~LayerNormTests|FullyQualifiedName~RmsNormTests"
                + "|FullyQualifiedName~BatchNormTests|FullyQualifiedName~OptimizerTests|FullyQualifiedName~DenseTests.Forward_and_backward");

    private static void RunChild((string Name, string Value) first, (string Name, string Value) second, string filter) => RunChild([first, second], filter);

    private static void RunChild((string Name, string Value) first, (string Name, string Value) second, (string Name, string Value) third, string filter) =>
        RunChild([first, second, third], filter);

    private static void RunChild((string Name, string Value)[] environment, string filter)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, ["test", typeof(ChildProcessTests).Assembly.Location, "--filter", filter, "--nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd() + child.StandardError.ReadToEnd();
        child.WaitForExit();
        Assert.True(child.ExitCode == 0 && output.Contains("Passed!", StringComparison.Ordinal), $"child run (exit {child.ExitCode}):\n{output}");
    }
}
