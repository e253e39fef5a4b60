using System;
using ChainRule.Diagnostics;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

/// <summary>The step protocol generated trainers call, driven directly with hand-made gradients.</summary>
public class TrainingStateTests
{
    private static readonly string[] Layers = ["Hidden", "Output"];
    private static readonly int[] Offsets = [0, 3];

    private static void NoAdaptiveClipping(float lambda, float epsilon) => throw new InvalidOperationException("not adaptive");

    [Fact]
    public void Offsets_must_match_the_layers()
    {
        var error = Assert.Throws<ArgumentException>(() => new TrainingState<float>(new TrainerOptions(), 4, Layers, [0], "MSE", 0));
        Assert.Equal("layerOffsets", error.ParamName);
        Assert.StartsWith("1 layer offsets for 2 layers.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_report_a_non_finite_loss_throws_naming_no_layer()
    {
        var state = new TrainingState<float>(new TrainerOptions { Report = false, OnNonFinite = NonFinitePolicy.Throw }, 4, Layers, Offsets, "MSE", 0);
        float[] p = [1, 2, 3, 4];
        state.Begin();
        bool applied = state.Finish(float.NaN, double.NaN, p, new float[4], [], NoAdaptiveClipping);
        Assert.False(applied);
        var error = Assert.Throws<NonFiniteGradientException>(() => state.ThrowIfSkipped(applied));
        Assert.Null(error.Layer);
        Assert.Null(error.Pass);
        Assert.Equal([1f, 2f, 3f, 4f], p);
    }

    [Fact]
    public void A_generous_clipping_threshold_does_not_loosen_the_update_bound()
    {
        // Clipped gradients are bounded by the smaller of their norm and the threshold: lr·1e36 would be past the
        // step bound and force a dry run each step, lr·‖g‖ = 5 is not.
        foreach (ClippingOptions clip in new[] { Clipping.GlobalNorm(1e36), Clipping.Value(1e36) })
        {
            var state = new TrainingState<float>(new TrainerOptions { Optimizer = Optimizers.Sgd(1), Clip = clip }, 4, Layers, Offsets, "MSE", 0);
            float[] p = [1, 2, 3, 4];
            state.Begin();
            Assert.True(state.Finish(0.5f, 5, p, [3, 4, 0, 0], [], NoAdaptiveClipping));
            Assert.Equal(0, state.Optimizer.DryRunPasses);
            Assert.Equal([-2f, -2f, 3f, 4f], p);
        }
    }

    [Fact]
    public void TrainerOptions_name_the_missing_option_and_its_neutral_value()
    {
        Check("Optimizer", "TrainerOptions.Optimizer must be set.", new TrainerOptions { Optimizer = null! });
        Check("Schedule", "Schedules.Constant() for none", new TrainerOptions { Schedule = null! });
        Check("Clip", "Clipping.None for none", new TrainerOptions { Clip = null! });
        Check("Health", "TrainerOptions.Health must be set.", new TrainerOptions { Health = null! });

        static void Check(string option, string text, TrainerOptions options)
        {
            var error = Assert.Throws<ArgumentNullException>(options.Validate);
            Assert.Equal(option, error.ParamName);
            Assert.Contains(text, error.Message, StringComparison.Ordinal);
        }
    }
}
