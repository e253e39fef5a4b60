using System;
using System.Linq;
using ChainRule.Generators.Kinds;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>The layer-kind contract (docs/generator.md, "Adding a layer kind"): the registry and what every kind must state.</summary>
public class LayerKindTests
{
    [Fact]
    public void EveryLayerAttributeOfTheRuntimeIsRegisteredOnce()
    {
        // A layer attribute is one a property carries; [Network] goes on the class.
        var attributes = typeof(NetworkAttribute).Assembly.GetTypes()
            .Where(t => t.Namespace == "ChainRule" && !t.IsAbstract && typeof(Attribute).IsAssignableFrom(t)
                && t.GetCustomAttributes(typeof(AttributeUsageAttribute), inherit: false).Cast<AttributeUsageAttribute>()
                    .Any(u => u.ValidOn.HasFlag(AttributeTargets.Property)))
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal)
            .ToList();
        var registered = LayerKinds.All.Select(kind => kind.AttributeName).ToList();

        Assert.NotEmpty(attributes);
        Assert.Equal(attributes, registered.Order(StringComparer.Ordinal));
        Assert.Equal(registered.Count, registered.Distinct(StringComparer.Ordinal).Count());
        foreach (LayerKind kind in LayerKinds.All)
        {
            Assert.Same(kind, LayerKinds.ForAttribute(kind.AttributeName));
            Assert.True(typeof(NetworkAttribute).Assembly.GetType($"ChainRule.{kind.ViewType}`1") is not null, $"{kind.AttributeName}: no view type ChainRule.{kind.ViewType}<T>");
        }
    }

    /// <summary>
    /// Clipping, checkpoints, the split step's gradient segments, the gradients cleared before a backward pass and the
    /// layers' offsets are all written from the kinds' tensor lists: a tensor left out of one would be silently
    /// unclipped, unsaved or uncounted, so together the lists must cover every buffer exactly once.
    /// </summary>
    [Fact]
    public void TensorsTileTheParameterAndStatisticsBuffers()
    {
        foreach (NetworkSpec spec in SizeTests.RandomNetworks(seed: 17, count: 300))
        {
            NetworkPlan plan = NetworkLowering.Lower(spec, estimate: false);
            string what = string.Join(" → ", spec.Layers);
            var tensors = plan.Steps.SelectMany(step => step.LayerKind.Tensors(step)).ToList();

            AssertTiles(tensors.Where(t => t.Store == TensorStore.Parameter).ToList(), plan.ParameterCount, $"parameters of {what}");
            AssertTiles(tensors.Where(t => t.Store == TensorStore.Statistic).ToList(), plan.StatisticsCount, $"statistics of {what}");
            var counters = tensors.Where(t => t.Store == TensorStore.BatchesTracked).Select(t => t.Offset).ToList();
            Assert.True(counters.SequenceEqual(Enumerable.Range(0, counters.Count)), $"num_batches_tracked indices {string.Join(", ", counters)}: {what}");

            // Every reported layer owns a tensor: its offset, and the layer a lint blames, are found through them.
            var owned = tensors.Where(t => t.NameIndex >= 0).Select(t => t.NameIndex).ToHashSet();
            Assert.True(owned.SetEquals(Enumerable.Range(0, plan.LayerNames.Count)), $"layers without a tensor: {what}");
            for (int i = 0; i < spec.Layers.Count; i++)
                Assert.Same(spec.Layers[i].LayerKind, plan.Steps[i].LayerKind);
        }
    }

    /// <summary>
    /// The generator cannot call the runtime, so it states each recurrent kernel's cache per sequence itself; the kernel
    /// refuses any other length, and this holds the two formulas equal.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(12, 3, 16)]
    [InlineData(7, 16, 5)]
    public void RecurrentCachesAreTheKernelsCacheLength(int steps, int inputs, int hidden)
    {
        foreach (int batch in new[] { 1, 3 })
        {
            Assert.Equal(Kernels.Lstm.CacheLength(batch, steps, inputs, hidden), batch * RecurrentLayerKind.CachePerSample(RecurrentCell.Lstm, steps, inputs, hidden));
            Assert.Equal(Kernels.Gru.CacheLength(batch, steps, inputs, hidden), batch * RecurrentLayerKind.CachePerSample(RecurrentCell.Gru, steps, inputs, hidden));
            Assert.Equal(Kernels.Rnn.CacheLength(batch, steps, inputs, hidden), batch * RecurrentLayerKind.CachePerSample(RecurrentCell.Rnn, steps, inputs, hidden));
        }
    }

    /// <summary>Sequence networks: the parser's footprint equals what lowering allocates, and the tensors tile the buffer.</summary>
    [Fact]
    public void SequenceNetworksMeasureWhatTheyAllocate()
    {
        RecurrentSpec Recurrent(string name, RecurrentCell cell, int hidden, int steps, bool sequences, int truncate = 0) =>
            new(name, "public", cell, hidden, ActivationKind.Tanh, steps, sequences, truncate, InitKind.Default, 0);
        DenseSpec Dense(string name, int units) => new(name, "public", units, ActivationKind.Tanh, InitKind.Default);
        var networks = new (int Inputs, int Steps, LayerSpec[] Layers)[]
        {
            (3, 12, [Recurrent("A", RecurrentCell.Lstm, 16, 12, true), Recurrent("B", RecurrentCell.Gru, 8, 12, false, 5), Dense("C", 2)]),
            (4, 10, [Dense("E", 6), Recurrent("M", RecurrentCell.Gru, 8, 10, true), Dense("T", 1)]),
            (2, 1, [Recurrent("R", RecurrentCell.Rnn, 3, 1, false), Dense("D", 5), Dense("O", 2)]),
        };
        foreach (var (inputs, steps, layers) in networks)
        {
            var spec = new NetworkSpec("", EquatableArray<ContainingTypeSpec>.Empty, "M", "M", inputs, LossKind.MeanSquaredError, PrecisionKind.Float, layers.ToEquatableArray(), steps);
            NetworkPlan plan = NetworkLowering.Lower(spec, estimate: false);
            Footprint total = default;
            int width = inputs;
            bool sequence = true;
            for (int i = 0; i < layers.Length; i++)
            {
                total += Footprint.Of(layers[i], width, first: i == 0, sequence ? steps : 1);
                width = layers[i].LayerKind.OutputWidth(layers[i], width);
                sequence &= !layers[i].LayerKind.IsRecurrent || layers[i].LayerKind.ReturnsSequence(layers[i]);
            }
            string what = string.Join(" → ", layers.Select(l => l.Name));
            Assert.Equal(total.Parameters, plan.ParameterCount);
            Assert.Equal(total.PerSample, plan.ActivationsPerSample);
            Assert.Equal(inputs * steps, plan.Inputs);
            AssertTiles(plan.Steps.SelectMany(step => step.LayerKind.Tensors(step)).ToList(), plan.ParameterCount, $"parameters of {what}");
        }
    }

    private static void AssertTiles(System.Collections.Generic.List<LayerTensor> tensors, int length, string what)
    {
        int end = 0;
        foreach (LayerTensor tensor in tensors.OrderBy(t => t.Offset))
        {
            Assert.True(tensor.Offset == end, $"{what}: '{tensor.Name}' starts at {tensor.Offset}, the tensors before it end at {end}");
            end += tensor.Length;
        }
        Assert.True(end == length, $"{what}: the tensors end at {end}, the buffer at {length}");
    }

    /// <summary>Lowering stops at a cancelled token, so that an editor's abandoned run stops at the next layer.</summary>
    [Fact]
    public void LoweringStopsWhenCancelled()
    {
        var spec = new NetworkSpec("", EquatableArray<ContainingTypeSpec>.Empty, "M", "M", 3, LossKind.MeanSquaredError, PrecisionKind.Float,
            new LayerSpec[] { new DenseSpec("A", "public", 4, ActivationKind.Tanh, InitKind.Default), new DenseSpec("B", "public", 2, ActivationKind.Identity, InitKind.Default) }
                .ToEquatableArray());
        Assert.NotNull(NetworkLowering.Lower(spec, estimate: false));
        using var cancelled = new System.Threading.CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => NetworkLowering.Lower(spec, cancelled.Token, estimate: false));
    }

    /// <summary>A residual stack's placement is read from its own named argument: Post when given, else Pre.</summary>
    [Fact]
    public void ResidualPlacementIsParsedFromItsNamedArgument()
    {
        NormPlacementKind Placement(string arguments)
        {
            var driver = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.Compile($$"""
                using ChainRule;
                [Network(Inputs = 4)]
                public partial class Model
                {
                    [Residual(Norm.LayerNorm, Activation.Gelu{{arguments}})] public partial ResidualStack<float> Body { get; }
                    [Dense(2)] public partial DenseLayer<float> Logits { get; }
                }
                """));
            var parsed = (ParseResult)driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Parse].Single().Outputs.Single().Value;
            return Assert.IsType<ResidualSpec>(parsed.Spec!.Layers[0]).Placement;
        }

        Assert.Equal(NormPlacementKind.Post, Placement(", Placement = NormPlacement.Post"));
        Assert.Equal(NormPlacementKind.Pre, Placement(", Placement = NormPlacement.Pre"));
        Assert.Equal(NormPlacementKind.Pre, Placement(""));
    }
}
