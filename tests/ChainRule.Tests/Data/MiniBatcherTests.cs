using System;
using System.Collections.Generic;
using System.Linq;
using ChainRule.Data;
using Xunit;

namespace ChainRule.Tests.Data;

public class MiniBatcherTests
{
    /// <summary>Sample i has inputs (i, 1000 + i) and label i, so a batch row tells which sample it came from.</summary>
    private static MiniBatcher<float, int> Batcher(int count, int batchSize, int seed, bool dropLast = false)
    {
        var inputs = new float[count * 2];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            inputs[2 * i] = i;
            inputs[2 * i + 1] = 1000 + i;
            labels[i] = i;
        }
        return new MiniBatcher<float, int>(inputs, inputWidth: 2, labels, targetWidth: 1, batchSize, seed, dropLast);
    }

    private static List<int> Epoch(MiniBatcher<float, int> batches, int epoch, List<int>? sizes = null)
    {
        batches.Shuffle(epoch);
        var seen = new List<int>();
        while (batches.MoveNext())
        {
            sizes?.Add(batches.Rows);
            for (int r = 0; r < batches.Rows; r++)
            {
                int sample = batches.Targets[r];
                Assert.Equal(sample, batches.Indices[r]);
                Assert.Equal(sample, batches.Inputs[2 * r]);
                Assert.Equal(1000 + sample, batches.Inputs[2 * r + 1]);
                seen.Add(sample);
            }
        }
        return seen;
    }

    [Fact]
    public void Every_sample_comes_once_per_epoch_in_a_shuffled_order()
    {
        var batches = Batcher(count: 103, batchSize: 10, seed: 5);
        var sizes = new List<int>();

        List<int> first = Epoch(batches, 0, sizes);
        List<int> second = Epoch(batches, 1);

        Assert.Equal(Enumerable.Range(0, 103), first.Order());
        Assert.Equal(Enumerable.Range(0, 103), second.Order());
        Assert.NotEqual(Enumerable.Range(0, 103), first);
        Assert.NotEqual(first, second);
        Assert.Equal([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3], sizes);
        Assert.Equal(11, batches.BatchesPerEpoch);
    }

    [Fact]
    public void The_order_depends_only_on_seed_and_epoch()
    {
        List<int> a = Epoch(Batcher(50, 8, seed: 1), 3);
        var replay = Batcher(50, 8, seed: 1);
        Epoch(replay, 0);
        List<int> b = Epoch(replay, 3);
        List<int> otherSeed = Epoch(Batcher(50, 8, seed: 2), 3);

        Assert.Equal(a, b);
        Assert.NotEqual(a, otherSeed);
    }

    [Fact]
    public void Drop_last_skips_the_short_batch()
    {
        var batches = Batcher(count: 23, batchSize: 10, seed: 0, dropLast: true);
        var sizes = new List<int>();

        List<int> seen = Epoch(batches, 0, sizes);

        Assert.Equal([10, 10], sizes);
        Assert.Equal(20, seen.Distinct().Count());
        Assert.Equal(2, batches.BatchesPerEpoch);
    }

    [Fact]
    public void Dealing_allocates_nothing_after_warm_up()
    {
        var batches = Batcher(count: 1000, batchSize: 32, seed: 9);
        float sum = 0;
        int epoch = 0;

        Allocations.AssertNone("epochs of shuffling and dealing", () =>
        {
            batches.Shuffle(epoch++);
            while (batches.MoveNext())
                sum += batches.Inputs[0] + batches.Targets[0] + batches.Indices[0];
        }, calls: 3);

        Assert.True(sum > 0);
    }

    [Fact]
    public void Inputs_and_targets_must_make_whole_samples_of_one_count()
    {
        Assert.Throws<ArgumentException>(() => new MiniBatcher<float, int>(new float[7], 2, new int[3], 1, 4, 0));
        Assert.Throws<ArgumentException>(() => new MiniBatcher<float, int>(new float[8], 2, new int[3], 1, 4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MiniBatcher<float, int>(new float[8], 2, new int[4], 1, 0, 0));
    }
}
