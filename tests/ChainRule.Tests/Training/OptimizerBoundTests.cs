using System;
using System.Linq;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

/// <summary>
/// The scalar test that proves an update finite before its single pass (<see cref="Optimizer{T}"/>), driven to its
/// edges in float, where the largest step it lets through is H/4 = 2¹⁰¹ ≈ 2.5e30 and the largest intermediate
/// U/4 ≈ 8.5e37. Each case sits just past one bound with an update that is still finite, so the dry run must run
/// (<c>DryRunPasses</c>) and then the update must be applied exactly as without it; a bound that reads the wrong
/// quantity skips the dry run, and a bound that reads too little lets a non-finite update through.
/// </summary>
public class OptimizerBoundTests
{
    private const int Count = 37; // whole registers of every width and a scalar tail
    private const int At = 21;    // lane 5 of a register of 8 or of 16 floats: not where a register starts

    /// <summary>Gradients that are 0 but at element 5, so that one element decides every bound.</summary>
    private static float[] OneGradient(float value)
    {
        var gradients = new float[Count];
        gradients[5] = value;
        return gradients;
    }

    [Fact]
    public void Adam_L2_decay_counts_the_parameters_in_the_step_bound()
    {
        // Zero gradients, so only wd·p enters g: the step bound is lr/(1 − β₁)·1.01·|p|/ε = 1.01e29·|p|, past 2.5e30 from
        // |p| ≈ 25 up. The true step is ≈ lr/(1 − β₁)·m/√v·√(1 − β₂) = 1e20, finite: the update must be applied.
        foreach ((float parameter, int dryRuns) in new[] { (20f, 0), (30f, 1) })
        {
            Optimizer<float> adam = Optimizers.Adam(1e20, weightDecay: 1).Create<float>(Count);
            float[] p = new float[Count];
            p[5] = parameter;
            adam.Update(p, new float[Count]);
            Assert.Equal(dryRuns, adam.DryRunPasses);
            Assert.Equal(1, adam.StepCount);
            Assert.Equal(-1e20, p[5], 1e20 * 1e-5);
        }
    }

    [Fact]
    public void Adam_second_moment_bound_and_its_carried_maximum_force_the_dry_run()
    {
        // Step 1: v = (1 − β₂)·g² = 1.02e38 is finite, but the bound's 1.01·g makes it 1.04e38 > U/4. Step 2 (g = 0):
        // v = β₂·v = 1.02e38, past U/4 again only through the maximum of v the first pass kept.
        Optimizer<float> adam = Optimizers.Adam(1e-3).Create<float>(Count);
        float[] p = new float[Count];
        adam.Update(p, OneGradient(3.2e20f));
        Assert.Equal(1, adam.DryRunPasses);
        Assert.Equal(-1e-3, p[5], 1e-8);
        Assert.Equal(1.024e38, adam.State[1][5], 1e33);

        adam.Update(p, new float[Count]);
        Assert.Equal(2, adam.DryRunPasses);
        Assert.Equal(2, adam.StepCount);
        Assert.Equal(0.999 * 1.024e38, adam.State[1][5], 1e33);
    }

    [Fact]
    public void Adam_first_moment_carried_from_the_last_pass_forces_the_dry_run()
    {
        // β₁ = 0, so m = g and the step bound is lr·1.01·max(|m|, |g|)/ε = 1e29·max(|m|, |g|): past 2.5e30 from 25 up.
        Optimizer<float> adam = Optimizers.Adam(1e21, beta1: 0).Create<float>(Count);
        float[] p = new float[Count];
        adam.Update(p, OneGradient(30));
        Assert.Equal(1, adam.DryRunPasses);
        Assert.Equal(-1e21, p[5], 1e21 * 1e-5);

        // g = 0 now, so the new m is 0 too; only the last pass's max |m| = 30 bounds this step, and it is past the edge.
        adam.Update(p, new float[Count]);
        Assert.Equal(2, adam.DryRunPasses);
        Assert.Equal(2, adam.StepCount);
    }

    [Fact]
    public void AdamW_at_learning_rate_0_needs_no_dry_run_and_changes_nothing()
    {
        // A warmup's first step: the decay factor 1 − lr·wd is exactly 1, inside the proven range [0, 1].
        Optimizer<float> adamW = Optimizers.AdamW(0, weightDecay: 0.5).Create<float>(Count);
        var random = new Random(8);
        float[] p = NumericAssert.Random<float>(random, Count);
        float[] before = (float[])p.Clone();
        adamW.Update(p, NumericAssert.Random<float>(random, Count));
        Assert.Equal(0, adamW.DryRunPasses);
        Assert.Equal(1, adamW.StepCount);
        Assert.Equal(before, p);
    }

    [Fact]
    public void Adam_dry_run_names_the_first_element_whose_moment_would_overflow()
    {
        // (1 − β₂)·g² = ∞ at the two elements: the update is refused, naming the first, which is not at a register's start.
        Optimizer<float> adam = Optimizers.Adam(1e-3).Create<float>(Count);
        var random = new Random(9);
        float[] p = NumericAssert.Random<float>(random, Count);
        float[] before = (float[])p.Clone();
        float[] g = NumericAssert.Random<float>(random, Count);
        g[At] = 1e30f;
        g[At + 9] = -1e30f;
        var error = Assert.Throws<OverflowException>(() => adam.Update(p, g));
        Assert.Contains($"parameter {At} ", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, p);
        Assert.All(adam.State, buffer => Assert.All(buffer, value => Assert.Equal(0f, value)));
        Assert.Equal(0, adam.StepCount);
    }

    [Fact]
    public void Sgd_Nesterov_step_bound_adds_the_momentum_term()
    {
        // Step 1: b = g, direction g + μ·b = 1.9·g; lr·1.01·1.9·2 = 3.8e30 is past 2.5e30, the true step −3.8e30 is finite.
        Optimizer<float> sgd = Optimizers.Sgd(1e30, momentum: 0.9, nesterov: true).Create<float>(Count);
        float[] p = new float[Count];
        sgd.Update(p, OneGradient(2));
        Assert.Equal(1, sgd.DryRunPasses);
        Assert.Equal(-3.8e30, p[5], 3.8e30 * 1e-5);
        Assert.Equal(2f, sgd.State[0][5]); // the buffer starts at the first gradient
    }

    [Fact]
    public void Sgd_weight_decay_counts_the_parameters_in_the_step_bound()
    {
        // Zero gradients: lr·wd·|p| = 5e35 is past the step bound, and p − lr·wd·p = 5e35 is finite.
        Optimizer<float> sgd = Optimizers.Sgd(1, weightDecay: 0.5).Create<float>(Count);
        float[] p = new float[Count];
        p[5] = 1e36f;
        sgd.Update(p, new float[Count]);
        Assert.Equal(1, sgd.DryRunPasses);
        Assert.Equal(5e35, p[5], 5e30);
    }

    [Fact]
    public void Sgd_without_momentum_keeps_no_buffer()
    {
        Assert.Empty(Optimizers.Sgd(0.1).Create<float>(Count).State.Single());
        Assert.Equal(Count, Optimizers.Sgd(0.1, momentum: 0.9).Create<float>(Count).State.Single().Length);
    }

    [Fact]
    public void Wrong_lengths_are_reported_with_the_expected_shape_before_the_gradients_are_read()
    {
        var optimizer = Optimizers.Adam().Create<float>(4);
        float[] p = [1, 2, 3, 4];
        var error = Assert.Throws<ArgumentException>(() => optimizer.Update(p, [1, float.NaN, 3]));
        Assert.Equal("gradients", error.ParamName);
        Assert.StartsWith("Expected 4 elements, shape (4); got 3.", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => optimizer.Update(new float[5], new float[4]));
        Assert.Equal("parameters", error.ParamName);
        Assert.StartsWith("Expected 4 elements, shape (4); got 5.", error.Message, StringComparison.Ordinal);
        Assert.Equal([1f, 2f, 3f, 4f], p);
        Assert.Equal(0, optimizer.StepCount);
    }

    [Fact]
    public void An_optimizer_over_no_parameters_counts_its_steps()
    {
        foreach (OptimizerOptions options in new[] { Optimizers.Sgd(0.1, momentum: 0.9, weightDecay: 0.1), Optimizers.Adam(weightDecay: 0.1), Optimizers.AdamW() })
        {
            Optimizer<double> optimizer = options.Create<double>(0);
            optimizer.Update([], []);
            Assert.Equal(1, optimizer.StepCount);
        }
    }

    [Fact]
    public void Option_messages_name_the_value_as_PyTorch_does()
    {
        Assert.Contains("Invalid learning rate", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(-1)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid epsilon value", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam(epsilon: 0)).Message, StringComparison.Ordinal);
        Assert.Contains("Invalid weight decay value", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(weightDecay: -1)).Message, StringComparison.Ordinal);
        Assert.Contains("learning rate × weight decay is 1 (lr 100, weight decay 0.01)",
            Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AdamW(100, weightDecay: 0.01)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adam_accepts_beta1_0_and_AdamW_has_no_momentum()
    {
        Assert.Equal(0.0, Optimizers.Adam(beta1: 0).Beta1); // torch allows 0 ≤ β₁ < 1: RMSprop-like Adam
        OptimizerOptions adamW = Optimizers.AdamW();
        Assert.Equal((0.0, false), (adamW.Momentum, adamW.Nesterov));
    }
}
