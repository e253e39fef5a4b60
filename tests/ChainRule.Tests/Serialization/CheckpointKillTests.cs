using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ChainRule.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Point 3 of issue 14: a child process saving checkpoints in a loop is SIGKILLed at random moments; after every kill
/// the file loads and holds either the last generation the child reported saved or the one it was saving.
/// </summary>
public class CheckpointKillTests(ITestOutputHelper output)
{
    /// <summary>The argument that makes <see cref="Program"/> run <see cref="SaveForever"/>.</summary>
    internal const string HelperName = "save-checkpoints-forever";

    private const int Kills = 100; // the issue asks for at least 100; each costs a process start (about 0.15 s)
    private const int StateLength = 1 << 15; // 256 KiB of F64: large enough that kills land inside the write

    /// <summary>The child: continue from the generation on disk, save the next one, report it, forever.</summary>
    internal static void SaveForever(string path)
    {
        long generation = ReadGeneration(path);
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        while (true)
        {
            generation++;
            Checkpoint(generation).Save(path);
            Console.Out.WriteLine($"saved {generation}");
            Console.Out.Flush();
        }
    }

    [Fact]
    public void A_checkpoint_killed_mid_save_is_always_the_old_or_the_new_one()
    {
        string directory = Directory.CreateTempSubdirectory("chainrule-kill-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.safetensors");
            Checkpoint(0).Save(path);
            var random = new Random(14);
            int sawOld = 0, sawNew = 0, leftovers = 0;
            var clock = Stopwatch.StartNew();
            for (int kill = 0; kill < Kills; kill++)
            {
                long before = ReadGeneration(path);
                var start = new ProcessStartInfo(Environment.ProcessPath!, ["exec", typeof(CheckpointKillTests).Assembly.Location, HelperName, path])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                using var child = new Process { StartInfo = start };
                var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
                using var ready = new System.Threading.ManualResetEventSlim();
                child.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is null)
                        return;
                    lines.Enqueue(e.Data);
                    if (e.Data == "ready")
                        ready.Set();
                };
                child.Start();
                child.BeginOutputReadLine();
                child.BeginErrorReadLine();
                bool started = ready.Wait(TimeSpan.FromSeconds(30));
                if (started)
                    System.Threading.Thread.Sleep(random.Next(0, 25));
                child.Kill(); // SIGKILL on Unix
                Assert.True(child.WaitForExit(30_000), $"kill {kill}: the child did not exit after SIGKILL");
                child.WaitForExit(); // drains the redirected output
                Assert.True(started, $"kill {kill}: the child did not report ready within 30 s");

                long reported = before;
                foreach (string line in lines)
                    if (line.StartsWith("saved ", StringComparison.Ordinal))
                        reported = long.Parse(line["saved ".Length..], CultureInfo.InvariantCulture);
                long onDisk = ReadGeneration(path); // loads and checks every value, or throws
                Assert.True(onDisk == reported || onDisk == reported + 1,
                    $"kill {kill}: the child reported generation {reported} saved, the file holds {onDisk}");
                if (onDisk == reported)
                    sawOld++;
                else
                    sawNew++;
                foreach (string temporary in Directory.GetFiles(directory, ".*.tmp"))
                {
                    leftovers++;
                    File.Delete(temporary);
                }
            }
            output.WriteLine($"{Kills} kills in {clock.Elapsed.TotalSeconds:F1} s: file held the last reported generation {sawOld} times, "
                + $"the one being saved {sawNew} times; {leftovers} kills left a temporary file (killed before the rename).");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static SafeTensorsWriter Checkpoint(long generation)
    {
        var state = new double[StateLength];
        for (int i = 0; i < state.Length; i++)
            state[i] = generation + i / 65536.0;
        var writer = new SafeTensorsWriter();
        writer.Add("state", [StateLength], state);
        writer.Add("tag", [2], [(float)(generation % 4096), -(float)(generation % 4096)]);
        writer.AddMetadata("generation", generation.ToString(CultureInfo.InvariantCulture));
        return writer;
    }

    /// <summary>Loads the file and checks that every value belongs to the generation its metadata names.</summary>
    private static long ReadGeneration(string path)
    {
        var file = SafeTensorsFile.Load(path);
        long generation = long.Parse(file.Metadata["generation"], CultureInfo.InvariantCulture);
        var state = new double[StateLength];
        file.CopyTo<double>("state", state);
        for (int i = 0; i < state.Length; i++)
            if (state[i] != generation + i / 65536.0)
                throw new InvalidDataException($"generation {generation}: state[{i}] = {state[i]}");
        var tag = new float[2];
        file.CopyTo<float>("tag", tag);
        if (tag[0] != generation % 4096 || tag[1] != -(generation % 4096))
            throw new InvalidDataException($"generation {generation}: tag = [{tag[0]}, {tag[1]}]");
        return generation;
    }
}
