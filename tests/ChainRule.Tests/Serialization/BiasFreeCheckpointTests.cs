using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Checkpoints of dense layers declared <c>Bias = false</c>: the state_dict of <c>nn.Linear(bias=False)</c>, which has no
/// <c>.bias</c> entry; a file that has one for such a layer, or lacks one for a layer that has a bias, is refused by
/// name and changes nothing.
/// </summary>
public class BiasFreeCheckpointTests
{
    private static readonly TrainerOptions Options = new()
    {
        MaxBatch = CheckpointFiles.Rows, Optimizer = Optimizers.AdamW(1e-2), Clip = Clipping.Adaptive(0.05),
    };

    private static void Train(BiasFree.Trainer trainer, int from, int steps)
    {
        for (int step = from; step < from + steps; step++)
        {
            var (inputs, labels) = CheckpointFiles.Batch<float>(step);
            trainer.Step(inputs, labels);
        }
    }

    private static byte[] Bits(ReadOnlySpan<float> values) => MemoryMarshal.AsBytes(values).ToArray();

    [Fact]
    public void A_layer_without_bias_has_no_bias_parameter_view_or_tensor()
    {
        var model = new BiasFree(seed: 1);
        Assert.Equal(8 * 6 + 8 * 8 + 2 * 8 + 3 * 8, BiasFree.ParameterCount);
        Assert.False(model.Hidden.HasBias);
        Assert.True(model.Hidden.Bias.IsEmpty);
        Assert.True(model.Logits.BiasGradient.IsEmpty);
        Assert.True(new BiasFreeWithBiases(seed: 1).Hidden.HasBias);
        (string, string)[] expected =
        [
            ("Hidden.weight", "[8, 6]"), ("Projection.weight", "[8, 8]"),
            ("Batch.weight", "[8]"), ("Batch.bias", "[8]"), ("Batch.running_mean", "[8]"), ("Batch.running_var", "[8]"), ("Batch.num_batches_tracked", "[]"),
            ("Logits.weight", "[3, 8]"),
        ];
        Assert.Equal(expected.OrderBy(e => e.Item1, StringComparer.Ordinal),
            CheckpointFiles.Entries(model.SaveToBytes()).Select(e => (e.Name, e.Shape)).OrderBy(e => e.Name, StringComparer.Ordinal));
    }

    [Fact]
    public void A_trainer_checkpoint_resumes_bit_for_bit()
    {
        // AdamW's moments and adaptive clipping over a buffer with no bias slots: resuming equals never stopping.
        var straight = new BiasFree(seed: 3);
        var straightTrainer = straight.CreateTrainer(Options);
        Train(straightTrainer, 0, 5);

        var first = new BiasFree(seed: 3);
        var firstTrainer = first.CreateTrainer(Options);
        Train(firstTrainer, 0, 3);
        byte[] checkpoint = firstTrainer.SaveToBytes();
        var resumed = new BiasFree(seed: 99);
        var resumedTrainer = resumed.CreateTrainer(Options);
        resumedTrainer.Load(checkpoint);
        Train(resumedTrainer, 3, 2);

        Assert.Equal(Bits(straight.Parameters), Bits(resumed.Parameters));
        Assert.Equal(Bits(straight.Batch.RunningMean), Bits(resumed.Batch.RunningMean));
        Assert.Equal(straightTrainer.Optimizer.StepCount, resumedTrainer.Optimizer.StepCount);
    }

    [Fact]
    public void A_double_model_loads_the_float_file()
    {
        var model = new BiasFree(seed: 4);
        Train(model.CreateTrainer(Options), 0, 2);
        var twin = new BiasFreeDouble(seed: 0);
        twin.Load(model.SaveToBytes());
        for (int i = 0; i < BiasFree.ParameterCount; i++)
            Assert.Equal(model.Parameters[i], (float)twin.Parameters[i]);
    }

    [Fact]
    public void A_file_with_a_bias_the_layer_does_not_have_is_refused_by_name_and_changes_nothing()
    {
        var model = new BiasFree(seed: 5);
        byte[] before = Bits(model.Parameters);
        var error = Assert.Throws<InvalidDataException>(() => model.Load(new BiasFreeWithBiases(seed: 6).SaveToBytes()));
        Assert.Equal("checkpoint: the file has tensor 'Hidden.bias', which this model does not have.", error.Message);
        Assert.Equal(before, Bits(model.Parameters));
    }

    [Fact]
    public void A_file_without_the_bias_a_layer_has_is_refused_by_name_and_changes_nothing()
    {
        var model = new BiasFreeWithBiases(seed: 5);
        byte[] before = Bits(model.Parameters);
        var error = Assert.Throws<InvalidDataException>(() => model.Load(new BiasFree(seed: 6).SaveToBytes()));
        Assert.Equal("checkpoint: tensor 'Hidden.bias' is missing from the file.", error.Message);
        Assert.Equal(before, Bits(model.Parameters));
    }
}
