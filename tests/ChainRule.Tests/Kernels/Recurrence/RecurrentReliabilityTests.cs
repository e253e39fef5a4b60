using System;
using System.Numerics;
using Xunit;

namespace ChainRule.Tests.Kernels.Recurrence;

/// <summary>Bad input fails before anything is written; a forward and backward pass allocate nothing.</summary>
/// <remarks>
/// In the worker-pool collection: the allocation check's larger sizes split their products, and a product that finds
/// the pool busy with another test's runs serially on the calling thread, whose first serial packed product allocates
/// that thread's pack buffer (once per thread) inside the measured steps.
/// </remarks>
[Collection("Worker pool")]
public class RecurrentReliabilityTests
{
    private const int Batch = 2, Steps = 4, Inputs = 3, Hidden = 5;

    public static TheoryData<CellKind> KindData() => new(RecurrentGradientTests.Kinds);

    /// <summary>Every buffer a forward and backward pass take, filled with recognizable values.</summary>
    private sealed class Buffers
    {
        public readonly double[] X, Y, Cache, WeightIH, WeightHH, BiasIH, BiasHH, Dy, Dx, DweightIH, DweightHH, DbiasIH, DbiasHH, Norms;

        public Buffers(CellKind kind, bool returnSequences)
        {
            var random = new Random(5);
            int width = RecurrentReference.Gates(kind) * Hidden;
            X = NumericAssert.Random<double>(random, Batch * Steps * Inputs);
            Y = NumericAssert.Random<double>(random, returnSequences ? Batch * Steps * Hidden : Batch * Hidden);
            Cache = NumericAssert.Random<double>(random, RecurrentKernels.CacheLength(kind, Batch, Steps, Inputs, Hidden));
            WeightIH = NumericAssert.Random<double>(random, width * Inputs);
            WeightHH = NumericAssert.Random<double>(random, width * Hidden);
            BiasIH = NumericAssert.Random<double>(random, width);
            BiasHH = NumericAssert.Random<double>(random, width);
            Dy = NumericAssert.Random<double>(random, Y.Length);
            Dx = NumericAssert.Random<double>(random, X.Length);
            DweightIH = NumericAssert.Random<double>(random, WeightIH.Length);
            DweightHH = NumericAssert.Random<double>(random, WeightHH.Length);
            DbiasIH = NumericAssert.Random<double>(random, width);
            DbiasHH = NumericAssert.Random<double>(random, width);
            Norms = NumericAssert.Random<double>(random, Steps);
        }

        public double[][] All => [X, Y, Cache, WeightIH, WeightHH, BiasIH, BiasHH, Dy, Dx, DweightIH, DweightHH, DbiasIH, DbiasHH, Norms];

        public double[][] Snapshot() => Array.ConvertAll(All, a => (double[])a.Clone());

        public void AssertUnchanged(double[][] before, string what)
        {
            double[][] now = All;
            for (int i = 0; i < now.Length; i++)
                for (int j = 0; j < now[i].Length; j++)
                    if (BitConverter.DoubleToInt64Bits(now[i][j]) != BitConverter.DoubleToInt64Bits(before[i][j]))
                        Assert.Fail($"{what}: buffer {i} changed at [{j}]: {before[i][j]:R} → {now[i][j]:R}.");
        }
    }

    // Values are not the kernel's to refuse (a check would throw midway through a training step when a layer before
    // it overflows); the trainer finds the layer that made them. What the kernel owes is that they flow, and only
    // where the equations carry them.
    [Theory]
    [MemberData(nameof(KindData))]
    public void A_nan_in_the_input_reaches_its_own_sample_from_its_step_on_and_no_other(CellKind kind)
    {
        var s = new Buffers(kind, returnSequences: true);
        s.X[(1 * Steps + 2) * Inputs + 1] = double.NaN;
        RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH,
            Batch, Steps, Inputs, Hidden, returnSequences: true);
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < Steps; t++)
            {
                bool reached = b == 1 && t >= 2;
                for (int j = 0; j < Hidden; j++)
                    Assert.True(double.IsNaN(s.Y[(b * Steps + t) * Hidden + j]) == reached,
                        $"h[sample {b}, step {t}, unit {j}] = {s.Y[(b * Steps + t) * Hidden + j]:R}; NaN expected: {reached}.");
            }
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void An_infinite_output_gradient_reaches_the_gradients_and_the_step_norms(CellKind kind)
    {
        var s = new Buffers(kind, returnSequences: false);
        RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, returnSequences: false);
        s.Dy[Hidden + 3] = double.PositiveInfinity;
        RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms,
            s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, returnSequences: false, truncate: 0);
        Assert.False(double.IsFinite(s.Norms[Steps - 1]), $"‖∂L/∂h_T‖ = {s.Norms[Steps - 1]:R}");
        foreach ((string name, double[] gradient) in new[] { ("dweightIH", s.DweightIH), ("dweightHH", s.DweightHH), ("dbiasIH", s.DbiasIH), ("dx", s.Dx) })
            Assert.False(System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<double>(gradient), $"{name} stayed finite");
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void Wrong_lengths_name_the_span_and_its_shape_and_nothing_is_written(CellKind kind)
    {
        var s = new Buffers(kind, returnSequences: true);
        double[][] before = s.Snapshot();
        double[] shortOne = new double[1];

        void Forward(string expected, Action call)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(expected, e.ParamName);
            s.AssertUnchanged(before, $"wrong {expected}");
        }

        Forward("y", () => RecurrentKernels.Forward<double>(kind, s.Y.AsSpan(1), s.Cache, s.X, s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, true));
        Forward("y", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, false));
        Forward("cache", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache.AsSpan(1), s.X, s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, true));
        Forward("x", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X.AsSpan(Inputs), s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, true));
        Forward("weightIH", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH.AsSpan(1), s.WeightHH, s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, true));
        Forward("weightHH", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH.AsSpan(1), s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, true));
        Forward("biasIH", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH, shortOne, s.BiasHH, Batch, Steps, Inputs, Hidden, true));
        Forward("biasHH", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH, s.BiasIH, shortOne, Batch, Steps, Inputs, Hidden, true));
        Forward("batch", () => RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH, 0, Steps, Inputs, Hidden, true));

        RecurrentKernels.Forward<double>(kind, s.Y, s.Cache, s.X, s.WeightIH, s.WeightHH, s.BiasIH, s.BiasHH, Batch, Steps, Inputs, Hidden, true);
        before = s.Snapshot();
        void Backward(string expected, Action call) => Forward(expected, call);
        Backward("dx", () => RecurrentKernels.Backward<double>(kind, s.Dx.AsSpan(1), s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms, s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("dweightIH", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH.AsSpan(1), s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms, s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("dweightHH", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH.AsSpan(1), s.DbiasIH, s.DbiasHH, s.Norms, s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("dbiasIH", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, shortOne, s.DbiasHH, s.Norms, s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("dbiasHH", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, shortOne, s.Norms, s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("hiddenGradientNorms", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms.AsSpan(1), s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("dy", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms, s.Dy.AsSpan(Hidden), s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("cache", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms, s.Dy, s.Cache.AsSpan(1), s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("weightIH", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms, s.Dy, s.Cache, s.WeightIH.AsSpan(1), s.WeightHH, Batch, Steps, Inputs, Hidden, true, 0));
        Backward("weightHH", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms, s.Dy, s.Cache, s.WeightIH, s.WeightHH.AsSpan(1), Batch, Steps, Inputs, Hidden, true, 0));
        Backward("truncate", () => RecurrentKernels.Backward<double>(kind, s.Dx, s.DweightIH, s.DweightHH, s.DbiasIH, s.DbiasHH, s.Norms, s.Dy, s.Cache, s.WeightIH, s.WeightHH, Batch, Steps, Inputs, Hidden, true, -1));
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void Forward_and_backward_allocate_nothing_after_warm_up(CellKind kind)
    {
        Check<float>(2, 3, 5, 7, true, 0);
        Check<double>(2, 3, 5, 7, false, 2);
        // Big enough for the packed and multi-threaded products.
        Check<float>(16, 12, 32, 64, true, 5);
        Check<double>(16, 12, 32, 64, false, 0);

        void Check<T>(int batch, int steps, int inputs, int hidden, bool returnSequences, int truncate) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(7);
            int width = RecurrentReference.Gates(kind) * hidden;
            T[] x = NumericAssert.Random<T>(random, batch * steps * inputs), y = new T[returnSequences ? batch * steps * hidden : batch * hidden];
            T[] cache = new T[RecurrentKernels.CacheLength(kind, batch, steps, inputs, hidden)];
            T[] wih = NumericAssert.Random<T>(random, width * inputs, 0.3), whh = NumericAssert.Random<T>(random, width * hidden, 0.3);
            T[] bih = NumericAssert.Random<T>(random, width), bhh = NumericAssert.Random<T>(random, width), dy = NumericAssert.Random<T>(random, y.Length);
            T[] dx = new T[x.Length], dwih = new T[wih.Length], dwhh = new T[whh.Length], dbih = new T[width], dbhh = new T[width];
            double[] norms = new double[steps];

            void Step()
            {
                RecurrentKernels.Forward<T>(kind, y, cache, x, wih, whh, bih, bhh, batch, steps, inputs, hidden, returnSequences);
                RecurrentKernels.Backward<T>(kind, dx, dwih, dwhh, dbih, dbhh, norms, dy, cache, wih, whh, batch, steps, inputs, hidden, returnSequences, truncate);
            }

            Allocations.AssertNone($"{kind} {typeof(T).Name} B={batch} T={steps} F={inputs} H={hidden}", Step, calls: 3);
            Assert.True(double.IsFinite(norms[^1]));
        }
    }
}
