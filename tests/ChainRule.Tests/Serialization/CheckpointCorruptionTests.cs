using System;
using System.IO;
using System.Linq;
using ChainRule.Serialization;
using ChainRule.Training;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Issue 14, point 4 through the generated members: trainer checkpoints that do not fit, and seeded corruptions of
/// model and trainer checkpoints loaded by <c>Model.Load</c> and <c>Trainer.Load</c>, throw only
/// <see cref="InvalidDataException"/> and never load part of a file: the model and trainer stay bit-identical.
/// </summary>
public class CheckpointCorruptionTests(ITestOutputHelper output)
{
    private const int ByteCorruptions = 10_000;
    private const int TensorCorruptions = 1_500;

    private static TrainerOptions Options(OptimizerOptions optimizer) => new() { MaxBatch = CheckpointFiles.Rows, Optimizer = optimizer };

    /// <summary>A trainer whose every buffer differs from the files' (another seed, other batches), so a partial load would show.</summary>
    private static EveryLayer.Trainer Target(OptimizerOptions optimizer)
    {
        var trainer = new EveryLayer(seed: 31).CreateTrainer(Options(optimizer));
        CheckpointFiles.Train(trainer, 100, 3);
        return trainer;
    }

    private static (byte[] Model, byte[] Trainer) Written(OptimizerOptions optimizer)
    {
        var trainer = new EveryLayer(seed: 1).CreateTrainer(Options(optimizer));
        CheckpointFiles.Train(trainer, 0, 5);
        return (trainer.Model.SaveToBytes(), trainer.SaveToBytes());
    }

    [Fact]
    public void A_trainer_refuses_another_optimizers_state_naming_both_and_changes_nothing()
    {
        var (_, sgd) = Written(Optimizers.Sgd(0.05, momentum: 0.9));
        var trainer = Target(Optimizers.AdamW(1e-2));
        byte[] before = trainer.SaveToBytes();
        var error = Assert.Throws<InvalidDataException>(() => trainer.Load(sgd));
        Assert.Equal("checkpoint: the file holds the state of a Sgd optimizer; this trainer's optimizer is AdamW.", error.Message);
        Assert.Equal(before, trainer.SaveToBytes());
    }

    [Fact]
    public void A_trainer_refuses_a_model_checkpoint_and_changes_nothing()
    {
        var (model, _) = Written(Optimizers.AdamW(1e-2));
        var trainer = Target(Optimizers.AdamW(1e-2));
        byte[] before = trainer.SaveToBytes();
        var error = Assert.Throws<InvalidDataException>(() => trainer.Load(model));
        Assert.StartsWith("checkpoint: the file has no 'optimizer' metadata", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, trainer.SaveToBytes());
    }

    [Theory]
    [InlineData("optimizer/exp_avg_sq/Logits.bias", -1.0, "checkpoint: tensor 'optimizer/exp_avg_sq/Logits.bias' element 0 is negative (-1).")]
    [InlineData("optimizer/exp_avg/Logits.bias", double.PositiveInfinity, "safetensors: tensor 'optimizer/exp_avg/Logits.bias' element 0 is not finite as a float (Infinity).")]
    [InlineData("optimizer/step", 7.0, "checkpoint: tensor 'trainer/steps' is 5, fewer than the 7 updates of 'optimizer/step': every update is a step.")]
    [InlineData("trainer/steps", -2.0, "checkpoint: tensor 'trainer/steps' is -2; a count cannot be negative.")]
    public void A_trainer_checkpoint_with_a_bad_last_tensor_changes_nothing(string tensor, double value, string message)
    {
        var (_, file) = Written(Optimizers.AdamW(1e-2));
        byte[] bad = CheckpointFiles.Rewrite(file, (name, values) =>
        {
            if (name == tensor)
                values[0] = value;
            return values;
        });
        var trainer = Target(Optimizers.AdamW(1e-2));
        byte[] before = trainer.SaveToBytes();
        var error = Assert.Throws<InvalidDataException>(() => trainer.Load(bad));
        Assert.Equal(message, error.Message);
        Assert.Equal(before, trainer.SaveToBytes());
    }

    [Fact]
    public void Corrupted_model_and_trainer_checkpoints_throw_only_InvalidDataException_and_never_load_in_part()
    {
        OptimizerOptions[] optimizers = [Optimizers.AdamW(1e-2), Optimizers.Sgd(0.05, momentum: 0.9)];
        var originals = optimizers.Select(Written).SelectMany(w => new[] { w.Model, w.Trainer }).ToArray();
        var targets = optimizers.Select(Target).ToArray();
        var resets = targets.Select(t => t.SaveToBytes()).ToArray();
        var random = new Random(1414);
        int refused = 0, loaded = 0;
        for (int n = 0; n < ByteCorruptions + TensorCorruptions; n++)
        {
            int source = random.Next(originals.Length);
            bool tensorLevel = n >= ByteCorruptions;
            byte[] bytes = tensorLevel ? CorruptTensor(originals[source], random) : CorruptFileTests.Corrupt(originals[source], random.Next(7), random);
            int which = random.Next(targets.Length);
            EveryLayer.Trainer trainer = targets[which];
            bool intoTrainer = random.Next(2) == 0;
            byte[] before = trainer.SaveToBytes();
            try
            {
                if (intoTrainer)
                    trainer.Load(bytes);
                else
                    trainer.Model.Load(bytes);
                loaded++;
                trainer.Load(resets[which]);
            }
            catch (InvalidDataException)
            {
                refused++;
                byte[] after = trainer.SaveToBytes();
                if (!before.AsSpan().SequenceEqual(after))
                    Assert.Fail($"corruption {n} ({(tensorLevel ? "tensor" : "bytes")}, into the {(intoTrainer ? "trainer" : "model")}): a refused load changed the state");
            }
            catch (Exception e)
            {
                Assert.Fail($"corruption {n} ({(tensorLevel ? "tensor" : "bytes")}, into the {(intoTrainer ? "trainer" : "model")}): {e.GetType().Name}: {e}");
            }
        }
        output.WriteLine($"{refused} refused, {loaded} loaded");
        Assert.True(refused > ByteCorruptions / 2, $"only {refused} corruptions were refused");
        Assert.True(loaded > 100, $"only {loaded} corruptions loaded: the test would not see a load that should have been refused");
    }

    /// <summary>One tensor-level fault that the format allows but the checkpoint must refuse, at a random tensor: often a late one, after others were checked.</summary>
    private static byte[] CorruptTensor(byte[] original, Random random)
    {
        var file = SafeTensorsFile.Parse(original);
        string target = file.Tensors[random.Next(file.Tensors.Count)].Name;
        int kind = random.Next(6);
        return kind switch
        {
            0 => CheckpointFiles.Rewrite(original, (name, values) => name == target ? null : values),
            1 => CheckpointFiles.Rewrite(original, extra: ("Extra.weight", [1.0, 2.0])),
            2 => CheckpointFiles.Rewrite(original, metadata: m => m["architecture"] = m["architecture"].Replace("Gelu", "Tanh", StringComparison.Ordinal)),
            3 => CheckpointFiles.Rewrite(original, metadata: m => m["optimizer"] = "Adam"),
            _ => CheckpointFiles.Rewrite(original, (name, values) =>
            {
                if (name == target && values.Length > 0)
                    values[random.Next(values.Length)] = kind == 4 ? double.NaN : -1e40;
                return values;
            }),
        };
    }
}
