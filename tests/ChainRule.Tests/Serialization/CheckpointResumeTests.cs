using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Issue 14, point 2: 10 steps, a trainer checkpoint, a new process that loads it into a fresh model and trainer and
/// takes 10 more steps ends bit for bit where 20 steps straight end: parameters, BatchNorm statistics and
/// num_batches_tracked, the optimizer's moments or momentum buffers, its step count, the trainer's steps, every loss.
/// </summary>
public class CheckpointResumeTests
{
    /// <summary>The argument that makes <see cref="Program"/> run <see cref="Resume"/>.</summary>
    internal const string HelperName = "resume-training";

    private const int Half = 10;

    private static readonly string[] Cases = ["float-Adam", "float-AdamW", "float-Sgd", "double-Adam", "double-AdamW", "double-Sgd"];

    /// <summary>What every case trains with: the optimizer named, a warm-up-cosine schedule (its position is the step count) and clipping.</summary>
    private static TrainerOptions Options(string name) => new()
    {
        MaxBatch = CheckpointFiles.Rows,
        Optimizer = name.Split('-')[1] switch
        {
            "Adam" => Optimizers.Adam(2e-2, weightDecay: 1e-3),
            "AdamW" => Optimizers.AdamW(2e-2),
            _ => Optimizers.Sgd(5e-2, momentum: 0.9, nesterov: true, weightDecay: 1e-4),
        },
        Schedule = Schedules.WarmupCosine(warmupSteps: 4, totalSteps: 30),
        Clip = Clipping.GlobalNorm(1.0),
    };

    /// <summary>The child: for every case, load <c>{case}.in</c> into a fresh model and trainer, take steps 10 to 19, write <c>{case}.out</c> and the losses.</summary>
    internal static void Resume(string directory)
    {
        foreach (string name in Cases)
        {
            string input = Path.Combine(directory, name + ".in.safetensors");
            var losses = new List<string>();
            byte[] final;
            if (name.StartsWith("float", StringComparison.Ordinal))
            {
                var trainer = new EveryLayer(seed: 77).CreateTrainer(Options(name));
                trainer.Load(input);
                var values = new List<float>();
                CheckpointFiles.Train(trainer, Half, Half, values);
                losses.AddRange(values.Select(v => BitConverter.SingleToInt32Bits(v).ToString("X8", CultureInfo.InvariantCulture)));
                final = trainer.SaveToBytes();
            }
            else
            {
                var trainer = new EveryLayerDouble(seed: 77).CreateTrainer(Options(name));
                trainer.Load(input);
                var values = new List<double>();
                CheckpointFiles.Train(trainer, Half, Half, values);
                losses.AddRange(values.Select(v => BitConverter.DoubleToInt64Bits(v).ToString("X16", CultureInfo.InvariantCulture)));
                final = trainer.SaveToBytes();
            }
            File.WriteAllBytes(Path.Combine(directory, name + ".out.safetensors"), final);
            File.WriteAllLines(Path.Combine(directory, name + ".losses"), losses);
        }
    }

    [Fact]
    public void Ten_steps_saved_and_resumed_in_a_new_process_equal_twenty_steps_straight()
    {
        string directory = Directory.CreateTempSubdirectory("chainrule-resume-").FullName;
        try
        {
            var straight = new Dictionary<string, (byte[] Final, string[] Losses)>();
            foreach (string name in Cases)
                straight[name] = Straight(name, Path.Combine(directory, name + ".in.safetensors"));

            var start = new ProcessStartInfo(Environment.ProcessPath!, ["exec", typeof(CheckpointResumeTests).Assembly.Location, HelperName, directory])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var child = Process.Start(start)!;
            string stderr = child.StandardError.ReadToEnd();
            child.StandardOutput.ReadToEnd();
            Assert.True(child.WaitForExit(120_000), "the child did not finish within 2 minutes");
            Assert.True(child.ExitCode == 0, $"the child failed ({child.ExitCode}): {stderr}");

            foreach (string name in Cases)
            {
                Assert.Equal(straight[name].Losses, File.ReadAllLines(Path.Combine(directory, name + ".losses")));
                byte[] resumed = File.ReadAllBytes(Path.Combine(directory, name + ".out.safetensors"));
                AssertSameFile(name, straight[name].Final, resumed);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Resuming_without_the_checkpoint_would_differ()
    {
        // Guards the test above against passing vacuously: a fresh trainer over the same loaded model (no moments,
        // step count 0) ends elsewhere than the straight run.
        var model = new EveryLayer(seed: 1);
        var trainer = model.CreateTrainer(Options("float-Adam"));
        CheckpointFiles.Train(trainer, 0, Half);
        byte[] modelOnly = model.SaveToBytes();
        CheckpointFiles.Train(trainer, Half, Half);

        var other = new EveryLayer(seed: 77);
        other.Load(modelOnly);
        var fresh = other.CreateTrainer(Options("float-Adam"));
        CheckpointFiles.Train(fresh, Half, Half);
        Assert.NotEqual(model.SaveToBytes(), other.SaveToBytes());
    }

    private static (byte[] Final, string[] Losses) Straight(string name, string checkpoint)
    {
        var losses = new List<string>();
        if (name.StartsWith("float", StringComparison.Ordinal))
        {
            var trainer = new EveryLayer(seed: 1).CreateTrainer(Options(name));
            CheckpointFiles.Train(trainer, 0, Half);
            trainer.Save(checkpoint);
            var values = new List<float>();
            CheckpointFiles.Train(trainer, Half, Half, values);
            losses.AddRange(values.Select(v => BitConverter.SingleToInt32Bits(v).ToString("X8", CultureInfo.InvariantCulture)));
            Assert.Equal(2 * Half, trainer.Optimizer.StepCount);
            return (trainer.SaveToBytes(), [.. losses]);
        }
        else
        {
            var trainer = new EveryLayerDouble(seed: 1).CreateTrainer(Options(name));
            CheckpointFiles.Train(trainer, 0, Half);
            trainer.Save(checkpoint);
            var values = new List<double>();
            CheckpointFiles.Train(trainer, Half, Half, values);
            losses.AddRange(values.Select(v => BitConverter.DoubleToInt64Bits(v).ToString("X16", CultureInfo.InvariantCulture)));
            Assert.Equal(2 * Half, trainer.Optimizer.StepCount);
            return (trainer.SaveToBytes(), [.. losses]);
        }
    }

    /// <summary>Equal files; on failure, the first tensor that differs.</summary>
    private static void AssertSameFile(string name, byte[] expected, byte[] actual)
    {
        if (expected.AsSpan().SequenceEqual(actual))
            return;
        var a = ChainRule.Serialization.SafeTensorsFile.Parse(expected);
        var b = ChainRule.Serialization.SafeTensorsFile.Parse(actual);
        foreach (var tensor in a.Tensors)
        {
            if (!b.Contains(tensor.Name))
                Assert.Fail($"{name}: the resumed checkpoint lacks {tensor.Name}");
            if (tensor.DType == ChainRule.Serialization.SafeTensorsDType.I64)
            {
                long[] x = new long[tensor.ElementCount], y = new long[tensor.ElementCount];
                a.CopyInt64To(tensor.Name, x);
                b.CopyInt64To(tensor.Name, y);
                Assert.True(x.SequenceEqual(y), $"{name}: {tensor.Name} is {y[0]}, straight {x[0]}");
                continue;
            }
            double[] p = new double[tensor.ElementCount], q = new double[tensor.ElementCount];
            a.CopyTo<double>(tensor.Name, p);
            b.CopyTo<double>(tensor.Name, q);
            for (int i = 0; i < p.Length; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(p[i]) == BitConverter.DoubleToInt64Bits(q[i]), $"{name}: {tensor.Name}[{i}] is {q[i]:R}, straight {p[i]:R}");
        }
        Assert.Fail($"{name}: the files differ outside their tensors' values");
    }
}
