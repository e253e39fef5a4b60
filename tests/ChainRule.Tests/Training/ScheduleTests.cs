using System;
using ChainRule.Diagnostics;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

public class ScheduleTests
{
    private const double Base = 3e-4, Min = 1e-5;
    private const int W = 100, Total = 1100;

    // Steps: 0, W−1, W, mid, total, beyond.
    public static TheoryData<long> Steps() => new() { 0, 1, W - 1, W, W + 1, 600, Total - 1, Total, Total + 1, 10_000 };

    [Theory]
    [MemberData(nameof(Steps))]
    public void Warmup_cosine_equals_the_formula(long step)
    {
        double expected = step < W ? Base * step / W
            : Min + (Base - Min) * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp((step - W) / (double)(Total - W), 0, 1)));
        Assert.Equal(expected, Schedules.WarmupCosine(W, Total, Min).LearningRate(step, Base), 15);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Warmup_linear_equals_the_formula(long step)
    {
        double expected = step < W ? Base * step / W
            : Min + (Base - Min) * (1 - Math.Clamp((step - W) / (double)(Total - W), 0, 1));
        Assert.Equal(expected, Schedules.WarmupLinear(W, Total, Min).LearningRate(step, Base), 15);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Warmup_then_constant_and_constant(long step)
    {
        Assert.Equal(step < W ? Base * step / W : Base, Schedules.Warmup(W).LearningRate(step, Base), 15);
        Assert.Equal(Base, Schedules.Constant().LearningRate(step, Base));
    }

    [Fact]
    public void Landmarks_are_exact()
    {
        LearningRateSchedule cosine = Schedules.WarmupCosine(W, Total, Min);
        Assert.Equal(0, cosine.LearningRate(0, Base));               // Hugging Face: the first update uses lr 0
        Assert.Equal(Base, cosine.LearningRate(W, Base));            // warmup reaches the base exactly
        Assert.Equal(Min + (Base - Min) / 2, cosine.LearningRate(600, Base), 15); // half-way: cos(π/2) = 0
        Assert.Equal(Min, cosine.LearningRate(Total, Base));         // the floor at total
        Assert.Equal(Min, cosine.LearningRate(5 * Total, Base));     // and beyond: no second cycle
        Assert.Equal(Min, Schedules.WarmupLinear(W, Total, Min).LearningRate(Total, Base));
    }

    [Fact]
    public void No_warmup_starts_at_the_base_rate_and_warmup_equal_to_total_ends_at_the_floor()
    {
        Assert.Equal(Base, Schedules.WarmupCosine(0, 10).LearningRate(0, Base));
        Assert.Equal(Base, Schedules.WarmupLinear(0, 10).LearningRate(0, Base));
        Assert.Equal(Base / 2, Schedules.WarmupLinear(0, 10).LearningRate(5, Base), 15);
        Assert.Equal(Base, Schedules.Warmup(0).LearningRate(0, Base));
        LearningRateSchedule allWarmup = Schedules.WarmupLinear(10, 10, Min);
        Assert.Equal(Base * 9 / 10, allWarmup.LearningRate(9, Base), 15);
        Assert.Equal(Min, allWarmup.LearningRate(10, Base));
    }

    [Fact]
    public void Arguments_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Warmup(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.WarmupCosine(11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.WarmupCosine(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.WarmupLinear(1, 10, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.WarmupLinear(1, 10, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.WarmupCosine(1, 10).LearningRate(-1, Base));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.WarmupCosine(1, 10).LearningRate(1, double.NaN));
        Assert.Equal("WarmupCosine(warmup=100, total=1100, min=1E-05)", Schedules.WarmupCosine(W, Total, Min).ToString());
    }

    [Fact]
    public void Trainer_options_validate_the_new_settings()
    {
        new TrainerOptions().Validate();
        new TrainerOptions { Schedule = Schedules.WarmupCosine(10, 100, 1e-3), Optimizer = Optimizers.Sgd(1e-3), Clip = Clipping.GlobalNorm(1), OnNonFinite = NonFinitePolicy.Throw }.Validate();
        Assert.Equal(ClippingKind.None, new TrainerOptions().Clip.Kind);
        Assert.Equal(NonFinitePolicy.SkipStep, new TrainerOptions().OnNonFinite);
        Assert.Throws<ArgumentException>(() => new TrainerOptions { Schedule = Schedules.WarmupCosine(10, 100, 0.1), Optimizer = Optimizers.Sgd(0.01) }.Validate());
        Assert.Throws<ArgumentNullException>(() => new TrainerOptions { Schedule = null! }.Validate());
        Assert.Throws<ArgumentNullException>(() => new TrainerOptions { Clip = null! }.Validate());
        Assert.Throws<ArgumentNullException>(() => new TrainerOptions { Health = null! }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { OnNonFinite = (NonFinitePolicy)7 }.Validate());
        Assert.Throws<ArgumentException>(() => new TrainerOptions { Health = new HealthThresholds { Vanishing = 10, Exploding = 1 } }.Validate());
    }

    [Fact]
    public void Schedules_never_exceed_the_base_rate()
    {
        // m + (b − m)·1 rounds above b for these two (and for about 1% of random pairs).
        const double BaseRate = 0.8749224375623333, FloorRate = 0.17935218718348683;
        var random = new Random(8);
        foreach (LearningRateSchedule schedule in new[] { Schedules.WarmupLinear(0, 10, FloorRate), Schedules.WarmupCosine(0, 10, FloorRate), Schedules.WarmupCosine(3, 50, FloorRate) })
        {
            for (long step = 0; step < 60; step++)
                Assert.True(schedule.LearningRate(step, BaseRate) <= BaseRate, $"{schedule} at step {step}: {schedule.LearningRate(step, BaseRate):R} > {BaseRate:R}");
        }
        for (int i = 0; i < 2000; i++)
        {
            double b = random.NextDouble(), m = random.NextDouble() * b;
            LearningRateSchedule schedule = i % 2 == 0 ? Schedules.WarmupLinear(2, 20, m) : Schedules.WarmupCosine(2, 20, m);
            for (long step = 0; step < 25; step++)
                Assert.True(schedule.LearningRate(step, b) <= b);
        }
    }
}
