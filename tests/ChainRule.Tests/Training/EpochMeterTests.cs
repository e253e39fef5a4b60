using System;
using System.Collections.Generic;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

/// <summary>The console line and the per-epoch loss a training loop reports; no time is asserted, only given.</summary>
public class EpochMeterTests
{
    [Fact]
    public void The_line_shows_epoch_of_epochs_loss_accuracy_time_and_throughput()
    {
        var progress = new EpochProgress(3, 10, 0.31214, 59_860, TimeSpan.FromSeconds(4.1), 0.872);
        Assert.Equal("epoch  3/10: loss 0.3121, accuracy 87.2%, 4.1 s, 14,600 samples/s", progress.ToString());
        Assert.Equal(14_600, progress.SamplesPerSecond, 1e-9);

        var open = new EpochProgress(3, 0, 0.5, 100, TimeSpan.FromSeconds(2), null);
        Assert.Equal("epoch 3: loss 0.5000, 2.0 s, 50 samples/s", open.ToString());
        Assert.Equal(0, new EpochProgress(1, 1, 0, 100, TimeSpan.Zero, null).SamplesPerSecond);
    }

    [Fact]
    public void Each_epoch_averages_only_its_own_batches_weighted_by_rows()
    {
        var seen = new List<EpochProgress>();
        var meter = new EpochMeter(2, new Synchronous(seen));
        meter.Start();
        meter.Add(1.0, 3);
        meter.Add(2.0, 1);
        Assert.Equal(1.25, meter.Finish().Loss, 15);
        meter.Start();
        meter.Add(4.0, 2);
        EpochProgress second = meter.Finish(accuracy: 0.5);
        Assert.Equal((2, 2, 4.0, 2L, (double?)0.5), (second.Epoch, second.Epochs, second.Loss, second.Samples, second.Accuracy));
        Assert.Equal(2, seen.Count);
        Assert.Equal(second, seen[1]);

        meter.Start();
        Assert.Equal(0, meter.Finish().Loss); // no batches: 0, not 0/0
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => new EpochMeter(-1)).ParamName);
        Assert.Equal("handler", Assert.Throws<ArgumentNullException>(() => new EpochMeter(1, (Action<EpochProgress>)null!)).ParamName);
        var meter = new EpochMeter(0);
        meter.Start();
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => meter.Add(1, 0)).ParamName);
    }

    // Progress<T> posts to the thread pool; this one reports on the caller's thread.
    private sealed class Synchronous(List<EpochProgress> seen) : IProgress<EpochProgress>
    {
        public void Report(EpochProgress value) => seen.Add(value);
    }
}
