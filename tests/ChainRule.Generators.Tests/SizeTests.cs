using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Kinds;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Generators.Tests;

/// <summary>The 64-bit size accounting behind CR0015.</summary>
public class SizeTests
{
    /// <summary>The largest residual stack under the unroll limit (three layers a block) with a dense layer after it.</summary>
    internal const int LargestLegalRepeat = (int)(NetworkLimits.MaxLayers - 1) / 3;

    private static NetworkSpec Spec(int inputs, params LayerSpec[] layers) =>
        new("", EquatableArray<ContainingTypeSpec>.Empty, "Model", "Model", inputs, LossKind.SoftmaxCrossEntropy, PrecisionKind.Float, layers.ToEquatableArray());

    [Fact]
    public void FootprintAgreesWithWhatLoweringAllocates()
    {
        // Every layer kind and option, in random orders and widths: what the parser checks against the limits must
        // be what the lowering then allocates, or a model near a limit would pass the check and overflow.
        foreach (NetworkSpec spec in RandomNetworks(seed: 12, count: 400))
        {
            var layers = spec.Layers.Items;
            Footprint total = default;
            long width = spec.Inputs;
            for (int i = 0; i < layers.Length; i++)
            {
                total += Footprint.Of(layers[i], width, first: i == 0);
                if (layers[i] is DenseSpec dense)
                    width = dense.Units;
            }
            NetworkPlan plan = NetworkLowering.Lower(spec);
            string what = string.Join(" → ", layers);
            Assert.True(plan.ParameterCount == total.Parameters, $"parameters {plan.ParameterCount} ≠ {total.Parameters}: {what}");
            Assert.True(plan.ActivationsPerSample == total.PerSample, $"per sample {plan.ActivationsPerSample} ≠ {total.PerSample}: {what}");
            Assert.True(plan.FixedActivations == total.Fixed, $"fixed {plan.FixedActivations} ≠ {total.Fixed}: {what}");
            Assert.True(plan.StatisticsCount == total.Statistics, $"statistics {plan.StatisticsCount} ≠ {total.Statistics}: {what}");
            Assert.True(plan.LayerNames.Count == total.Layers, $"layers {plan.LayerNames.Count} ≠ {total.Layers}: {what}");
        }
    }

    /// <summary>Networks of one to five layers of every kind and option, in random orders and widths.</summary>
    internal static IEnumerable<NetworkSpec> RandomNetworks(int seed, int count)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < count; trial++)
        {
            var layers = new List<LayerSpec>();
            for (int i = 0, layerCount = random.Next(1, 6); i < layerCount; i++)
            {
                string name = "L" + i;
                layers.Add(random.Next(3) switch
                {
                    0 => new DenseSpec(name, "public partial", random.Next(1, 40), (ActivationKind)random.Next(7), InitKind.Default, HasBias: random.Next(2) == 0),
                    1 => new NormSpec(name, "public partial", (NormKind)random.Next(3), 0),
                    _ => new ResidualSpec(name, "public partial", (NormKind)random.Next(3), (ActivationKind)random.Next(7), random.Next(1, 4),
                        random.Next(2) == 0 ? 0 : random.Next(1, 40), (NormPlacementKind)random.Next(2), random.Next(2) == 0, 0),
                });
            }
            yield return Spec(random.Next(1, 40), layers.ToArray());
        }
    }

    [Fact]
    public void FootprintSaturatesInsteadOfWrapping()
    {
        var huge = new ResidualSpec("Body", "public partial", NormKind.LayerNorm, ActivationKind.Gelu, int.MaxValue, int.MaxValue, NormPlacementKind.Pre, false, 0);
        Footprint footprint = Footprint.Of(huge, int.MaxValue, first: false);
        Assert.Equal(long.MaxValue, footprint.Parameters);
        Assert.True(footprint.PerSample > NetworkLimits.MaxArrayLength);
        Assert.Equal(3L * int.MaxValue, footprint.Layers);
    }

    [Fact]
    public void LargestLegalNetworkGeneratesAndPredictsInChunksThatFit()
    {
        // At the unroll limit: generated without a diagnostic.
        GeneratorOutput output = GeneratorHarness.Run($$"""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Residual(Norm.RMSNorm, Activation.ReLU, Repeat = {{LargestLegalRepeat}})] public partial ResidualStack<float> Body { get; }
                [Dense(2)] public partial DenseLayer<float> Logits { get; }
            }
            """);
        Assert.Empty(output.Diagnostics);
        Assert.Single(output.Files);

        // A sample's workspace that fits one array while 16 of them would not: prediction uses fewer rows.
        NetworkPlan wide = NetworkLowering.Lower(Spec(1, new DenseSpec("Wide", "public partial", 200_000_000, ActivationKind.Identity, InitKind.Default)));
        Assert.Equal(10, wide.PredictChunk);
        Assert.True((long)wide.ActivationsPerSample * wide.PredictChunk + wide.FixedActivations <= NetworkLimits.MaxArrayLength);
        Assert.Equal(16, NetworkLowering.Lower(Spec(4, new DenseSpec("Logits", "public partial", 2, ActivationKind.Identity, InitKind.Default))).PredictChunk);
    }

    [Fact]
    public void LoweringAndEmittingStopWhenCancelled()
    {
        NetworkSpec spec = Spec(16,
            new ResidualSpec("Body", "public partial", NormKind.LayerNorm, ActivationKind.Gelu, LargestLegalRepeat, 0, NormPlacementKind.Pre, false, 0),
            new DenseSpec("Logits", "public partial", 2, ActivationKind.Identity, InitKind.Default));
        NetworkPlan plan = NetworkLowering.Lower(spec);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => NetworkLowering.Lower(spec, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => NetworkEmitter.Emit(plan, cancelled.Token));
    }
}
