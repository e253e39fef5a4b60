using System;
using System.Numerics;
using System.Threading;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

// Changes Gemm.ThreadCount, which is global: tests that do run one at a time.
[Collection("Worker pool")]
public class GemmTests
{
    // Sizes that leave every tail: below, at and past each register width (16/8/4/2 floats), and the tile edges.
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        int[] sizes = [1, 3, 7, 17, 33, 65, 130];
        foreach (int m in new[] { 1, 2, 5, 33 })
            foreach (int n in sizes)
                foreach (int k in new[] { 1, 7, 17, 130 })
                    data.Add(m, n, k);
        data.Add(0, 3, 4);
        data.Add(3, 0, 4);
        data.Add(3, 4, 0);
        data.Add(130, 65, 33);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyTransposed_matches_reference(int m, int n, int k)
    {
        Check<float>(m, n, k);
        Check<double>(m, n, k);

        static void Check<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(m * 1000003 + n * 1009 + k);
            T[] a = NumericAssert.Random<T>(random, m * k), b = NumericAssert.Random<T>(random, n * k);
            T[] c = NumericAssert.Random<T>(random, m * n); // garbage that must be overwritten
            var expected = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                        sum += double.CreateTruncating(a[i * k + p]) * double.CreateTruncating(b[j * k + p]);
                    expected[i * n + j] = sum;
                }
            Gemm.MultiplyTransposed<T>(c, a, b, m, n, k);
            NumericAssert.Close<T>(expected, c, $"MultiplyTransposed<{typeof(T).Name}> m={m} n={n} k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyAdd_matches_reference(int m, int n, int k)
    {
        Check<float>(m, n, k);
        Check<double>(m, n, k);

        static void Check<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(m * 7919 + n * 104729 + k);
            T[] a = NumericAssert.Random<T>(random, m * k), b = NumericAssert.Random<T>(random, k * n);
            T[] c = NumericAssert.Random<T>(random, m * n);
            double[] expected = NumericAssert.ToDouble<T>(c);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int p = 0; p < k; p++)
                        expected[i * n + j] += double.CreateTruncating(a[i * k + p]) * double.CreateTruncating(b[p * n + j]);
            Gemm.MultiplyAdd<T>(c, a, b, m, n, k);
            NumericAssert.Close<T>(expected, c, $"MultiplyAdd<{typeof(T).Name}> m={m} n={n} k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TransposeMultiplyAdd_matches_reference(int m, int n, int k)
    {
        Check<float>(m, n, k);
        Check<double>(m, n, k);

        static void Check<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(m * 31 + n * 37 + k * 41);
            T[] a = NumericAssert.Random<T>(random, k * m), b = NumericAssert.Random<T>(random, k * n);
            T[] c = NumericAssert.Random<T>(random, m * n);
            double[] expected = NumericAssert.ToDouble<T>(c);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int p = 0; p < k; p++)
                        expected[i * n + j] += double.CreateTruncating(a[p * m + i]) * double.CreateTruncating(b[p * n + j]);
            Gemm.TransposeMultiplyAdd<T>(c, a, b, m, n, k);
            NumericAssert.Close<T>(expected, c, $"TransposeMultiplyAdd<{typeof(T).Name}> m={m} n={n} k={k}");
        }
    }

    // The dispatch sends most work to the widest width, so drive each width over the whole problem here. A width the
    // CPU lacks is reported skipped, not passed.
    [Theory]
    [SimdWidth(512, "float")] [SimdWidth(256, "float")] [SimdWidth(128, "float")] [SimdWidth(0, "float")]
    [SimdWidth(512, "double")] [SimdWidth(256, "double")] [SimdWidth(128, "double")] [SimdWidth(0, "double")]
    public void Every_supported_width_matches_reference_on_its_own(int bits, string element) =>
        SimdWidthAttribute.Invoke(typeof(GemmTests), nameof(CheckWidthOnItsOwn), bits, element);

    private static void CheckWidthOnItsOwn<TSimd, T>()
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int m = 7, n = 37, k = 45;
        var random = new Random(11);
        T[] a = NumericAssert.Random<T>(random, m * k), b = NumericAssert.Random<T>(random, n * k), bias = NumericAssert.Random<T>(random, n);
        var expectedDot = new double[m * n];
        var expectedBroadcast = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = double.CreateTruncating(bias[j]), broadcast = 0;
                for (int p = 0; p < k; p++)
                {
                    dot += double.CreateTruncating(a[i * k + p]) * double.CreateTruncating(b[j * k + p]);
                    // b read as (k, n) = (45, 37): same buffer, other shape.
                    broadcast += double.CreateTruncating(a[i * k + p]) * double.CreateTruncating(b[p * n + j]);
                }
                expectedDot[i * n + j] = dot;
                expectedBroadcast[i * n + j] = broadcast;
            }
        string width = typeof(TSimd).Name;

        var c = new T[m * n];
        Gemm.DotTiles<TSimd, T>(ref c[0], ref a[0], ref b[0], ref bias[0], true, m, n, k);
        NumericAssert.Close<T>(expectedDot, c, $"DotTiles<{width}, {typeof(T).Name}> with bias");

        Array.Clear(c);
        double squares = 0;
        int next = Gemm.BroadcastPanels<TSimd, T>(ref c[0], ref a[0], ref b[0], m, n, k, k, 1, accumulate: false, sumSquares: true, ref squares, start: 0);
        Gemm.BroadcastPanels<Scalar<T>, T>(ref c[0], ref a[0], ref b[0], m, n, k, k, 1, accumulate: false, sumSquares: true, ref squares, start: next);
        Assert.True(next >= n - 2 * TSimd.Count, $"{width} left {n - next} columns");
        NumericAssert.Close<T>(expectedBroadcast, c, $"BroadcastPanels<{width}, {typeof(T).Name}>");
        double storedSquares = 0;
        foreach (T value in c)
            storedSquares += double.CreateTruncating(value) * double.CreateTruncating(value);
        var (absolute, relative) = NumericAssert.Tolerance<T>(); // the partial sums run in T
        NumericAssert.Close<double>([storedSquares], [squares], absolute, relative, $"BroadcastPanels<{width}, {typeof(T).Name}> Σc² epilogue");
    }

    // Past one depth block and one column block, with edge rows and a partial panel, in all three layouts.
    [Theory]
    [SimdWidth(512, "float")] [SimdWidth(256, "float")] [SimdWidth(128, "float")] [SimdWidth(0, "float")]
    [SimdWidth(512, "double")] [SimdWidth(256, "double")] [SimdWidth(128, "double")] [SimdWidth(0, "double")]
    public void Packed_path_matches_reference_at_every_width_across_blocks(int bits, string element) =>
        SimdWidthAttribute.Invoke(typeof(GemmTests), nameof(CheckPackedWidth), bits, element, 13);

    // Past one packed block of a's rows, ending in a partial tile.
    [Theory]
    [SimdWidth(256, "float")]
    public void Packed_path_matches_reference_past_a_row_block(int bits, string element) =>
        SimdWidthAttribute.Invoke(typeof(GemmTests), nameof(CheckPackedWidth), bits, element, Gemm.RowBlock + 7);

    private static void CheckPackedWidth<TSimd, T>(int m)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Gemm.ColumnBlock + 37, k = Gemm.DepthBlock + 45;
        var random = new Random(17);
        T[] a = NumericAssert.Random<T>(random, m * k), b = NumericAssert.Random<T>(random, n * k), bias = NumericAssert.Random<T>(random, n);
        T[] start = NumericAssert.Random<T>(random, m * n);
        // (aRowStride, aDepthStride, bDepthStride, bColumnStride): A Bᵀ, A B, Aᵀ B.
        foreach (var (ar, ad, bd, bc) in new[] { (k, 1, 1, k), (k, 1, n, 1), (1, m, n, 1) })
            foreach (bool accumulate in new[] { false, true })
            {
                bool hasBias = !accumulate;
                double[] expected = accumulate ? NumericAssert.ToDouble<T>(start) : new double[m * n];
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double sum = hasBias ? double.CreateTruncating(bias[j]) : 0;
                        for (int p = 0; p < k; p++)
                            sum += double.CreateTruncating(a[i * ar + p * ad]) * double.CreateTruncating(b[p * bd + j * bc]);
                        expected[i * n + j] += sum;
                    }
                T[] c = (T[])start.Clone();
                int dead = 0;
                double bSquares = 0;
                double squares = Gemm.PackedCore<TSimd, T>(ref c[0], ref a[0], ref b[0], ref bias[0], hasBias, m, n, k, n, ar, ad, bd, bc, accumulate, sumSquares: true, ref c[0], Epilogue.None, ref dead,
                    sumSquaresOfB: true, ref bSquares);
                string label = $"PackedCore<{typeof(TSimd).Name}, {typeof(T).Name}> strides ({ar}, {ad}, {bd}, {bc}) accumulate={accumulate}";
                NumericAssert.Close<T>(expected, c, label);
                var (absolute, relative) = NumericAssert.Tolerance<T>();
                NumericAssert.Close<double>([NumericAssert.SumOfSquares<T>(c)], [squares], absolute, relative, label + " Σc²");
                // Every block of b once, however many row blocks of a swept it.
                NumericAssert.Close<double>([NumericAssert.SumOfSquares<T>(b)], [bSquares], absolute, relative, label + " Σb²");
            }
    }

    [Fact]
    public void Split_across_two_threads_matches_reference_and_allocates_nothing()
    {
        const int m = 142, n = 500, k = 480; // past the split threshold; rows not a multiple of the tile
        var random = new Random(23);
        float[] a = NumericAssert.Random<float>(random, k * m), b = NumericAssert.Random<float>(random, k * n);
        float[] c = NumericAssert.Random<float>(random, m * n);
        double[] expected = NumericAssert.ToDouble<float>(c);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    expected[i * n + j] += (double)a[p * m + i] * b[p * n + j];
        int before = Gemm.ThreadCount;
        try
        {
            Gemm.ThreadCount = 2;
            Assert.True((long)m * n * k >= Gemm.ParallelMinMultiplyAdds);
            Gemm.TransposeMultiplyAdd<float>(c, a, b, m, n, k);
            NumericAssert.Close<float>(expected, c, "TransposeMultiplyAdd on 2 threads");

            // One row (batch-1 inference) splits by columns: y = x Wᵀ + bias with W = b read as (n, k).
            float[] bias = NumericAssert.Random<float>(random, n), y = new float[n];
            var expectedRow = new double[n];
            for (int j = 0; j < n; j++)
            {
                expectedRow[j] = bias[j];
                for (int p = 0; p < k; p++)
                    expectedRow[j] += (double)a[p] * b[j * k + p];
            }
            Dense.Forward<float>(y, a.AsSpan(0, k), b.AsSpan(0, n * k), bias, 1, k, n);
            NumericAssert.Close<float>(expectedRow, y, "Dense.Forward at batch 1 on 2 threads");
            Allocations.AssertNone("split products on the calling thread", () =>
            {
                Gemm.TransposeMultiplyAdd<float>(c, a, b, m, n, k);
                Dense.Forward<float>(y, a.AsSpan(0, k), b.AsSpan(0, n * k), bias, 1, k, n);
            }, calls: 5);
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
    }

    [Theory]
    [InlineData(96, 720, 500)] // wider than tall: split by columns, the bias sliced with them, a partial last panel
    [InlineData(400, 180, 470)] // taller than wide: split by rows, a partial last micro-tile
    public void Split_forward_and_input_gradient_match_reference(int m, int n, int k)
    {
        var random = new Random(29);
        float[] x = NumericAssert.Random<float>(random, m * k), w = NumericAssert.Random<float>(random, n * k), bias = NumericAssert.Random<float>(random, n);
        float[] dy = NumericAssert.Random<float>(random, m * n), wt = NumericAssert.Random<float>(random, n * k);
        var expectedY = new double[m * n];
        var expectedDx = new double[m * k];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = bias[j];
                for (int p = 0; p < k; p++)
                {
                    sum += (double)x[i * k + p] * w[j * k + p];
                    expectedDx[i * k + p] += (double)dy[i * n + j] * wt[j * k + p];
                }
                expectedY[i * n + j] = sum;
            }
        int before = Gemm.ThreadCount;
        try
        {
            Gemm.ThreadCount = 2;
            Assert.True((long)m * n * k >= Gemm.ParallelMinMultiplyAdds);
            float[] y = new float[m * n], dx = new float[m * k];
            Dense.Forward<float>(y, x, w, bias, m, k, n);
            NumericAssert.Close<float>(expectedY, y, "Dense.Forward on 2 threads");
            Dense.BackwardInput<float>(dx, dy, wt, m, k, n);
            NumericAssert.Close<float>(expectedDx, dx, "Dense.BackwardInput on 2 threads");
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
    }

    [Theory]
    [InlineData(340, 340, 300)] // square: a packed dyᵀ splits by rows, each thread packing only its rows
    [InlineData(10, 1024, 256)] // a logits layer: its forward split by rows of x, the input gradient (depth 10, 1 MB c) by its size
    public void Split_layer_products_equal_the_one_thread_result_bit_for_bit(int outputs, int inputs, int batch)
    {
        var random = new Random(outputs + inputs + batch);
        float[] dy = NumericAssert.Random<float>(random, batch * outputs), x = NumericAssert.Random<float>(random, batch * inputs);
        float[] w = NumericAssert.Random<float>(random, outputs * inputs), pre = NumericAssert.Random<float>(random, batch * inputs);
        float[] bias = NumericAssert.Random<float>(random, outputs), y1 = new float[batch * outputs], y2 = new float[batch * outputs];
        float[] dw1 = new float[outputs * inputs], db1 = new float[outputs], dpre1 = new float[batch * inputs];
        float[] dw2 = new float[outputs * inputs], db2 = new float[outputs], dpre2 = new float[batch * inputs];
        double squares1, squares2;
        double[] weightNorms = new double[2];
        int before = Gemm.ThreadCount;
        try
        {
            Gemm.ThreadCount = 1;
            Dense.Forward<float>(y1, x, w, bias, batch, inputs, outputs, weightNorms.AsSpan(0, 1));
            Dense.BackwardParameters<float>(dw1, db1, dy, x, batch, inputs, outputs, accumulate: false, out squares1, out _);
            Dense.BackwardInputRelu<float>(dpre1, dy, w, pre, batch, inputs, outputs);
            Gemm.ThreadCount = 2;
            Assert.True((long)outputs * inputs * batch >= Gemm.ParallelMinMultiplyAdds || (long)batch * inputs >= Gemm.ParallelMinOutputs);
            Dense.Forward<float>(y2, x, w, bias, batch, inputs, outputs, weightNorms.AsSpan(1, 1));
            Dense.BackwardParameters<float>(dw2, db2, dy, x, batch, inputs, outputs, accumulate: false, out squares2, out _);
            Dense.BackwardInputRelu<float>(dpre2, dy, w, pre, batch, inputs, outputs);
        }
        finally
        {
            Gemm.ThreadCount = before;
        }
        Assert.Equal(y1, y2);
        Assert.Equal(dw1, dw2);
        Assert.Equal(db1, db2);
        Assert.Equal(dpre1, dpre2);
        Assert.Equal(squares1, squares2, 1e-9 * squares1); // the parts' sums of squares add in another order
        // Split by columns, each part packs (and sums in float) blocks of its own width: a float rounding apart.
        Assert.Equal(weightNorms[0], weightNorms[1], 1e-7 * weightNorms[0]);
        Assert.Equal(Math.Sqrt(NumericAssert.SumOfSquares<float>(w)), weightNorms[0], 1e-6 * weightNorms[0]);
    }

    // A forward product past the split threshold, for the worker-pool tests: y (m, n) = x (m, k) Wᵀ + bias.
    private const int SplitM = 96, SplitN = 720, SplitK = 500;

    private static (float[] X, float[] W, float[] Bias) SplitForwardOperands(int seed)
    {
        var random = new Random(seed);
        return (NumericAssert.Random<float>(random, SplitM * SplitK), NumericAssert.Random<float>(random, SplitN * SplitK), NumericAssert.Random<float>(random, SplitN));
    }

    [Fact]
    public void A_product_split_right_after_the_pool_starts_completes()
    {
        // The first job can be published before a new worker thread has started running: it must still be run.
        var (x, w, bias) = SplitForwardOperands(seed: 37);
        int before = Gemm.ThreadCount;
        var run = new Thread(() =>
        {
            float[] y = new float[SplitM * SplitN];
            for (int i = 0; i < 50; i++)
            {
                Gemm.ThreadCount = 1;
                Gemm.ThreadCount = 2;
                Dense.Forward<float>(y, x, w, bias, SplitM, SplitK, SplitN);
            }
        }) { IsBackground = true };
        run.Start();
        // A stuck product keeps its pool busy, and retiring a busy pool waits: restore the count only after a clean run.
        Assert.True(run.Join(TimeSpan.FromSeconds(60)), "a split product waited for a worker that missed its job");
        Gemm.ThreadCount = before;
    }

    [Fact]
    public void Changing_the_thread_count_while_another_thread_splits_products_neither_hangs_nor_corrupts()
    {
        var (x, w, bias) = SplitForwardOperands(seed: 31);
        float[] expected = new float[SplitM * SplitN];
        Dense.Forward<float>(expected, x, w, bias, SplitM, SplitK, SplitN);
        int before = Gemm.ThreadCount;
        using var stop = new CancellationTokenSource();
        int mismatches = 0, products = 0;
        var worker = new Thread(() =>
        {
            float[] y = new float[SplitM * SplitN];
            while (!stop.IsCancellationRequested)
            {
                Dense.Forward<float>(y, x, w, bias, SplitM, SplitK, SplitN);
                if (!y.AsSpan().SequenceEqual(expected))
                    mismatches++;
                products++;
            }
        }) { IsBackground = true };
        try
        {
            Gemm.ThreadCount = 2;
            worker.Start();
            for (int i = 0; i < 40; i++)
            {
                Gemm.ThreadCount = i % 2 == 0 ? 1 : 2;
                Thread.Sleep(2);
            }
        }
        finally
        {
            stop.Cancel();
            Assert.True(worker.Join(TimeSpan.FromSeconds(30)), "a product waited forever for a retired pool's workers");
            Gemm.ThreadCount = before;
        }
        Assert.True(products > 0);
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Each_weight_matrix_alternates_its_own_sweep_direction()
    {
        // Two layers' matrices 64 pages apart in one parameter buffer (as W1's second and third layers can be): each
        // keeps its own alternation, rather than one flipping the other's back every call.
        float[] parameters = new float[64 * 1024 + 64 * 1024 + 16];
        ref float second = ref parameters[64 * 1024];
        ref float third = ref parameters[2 * 64 * 1024];
        bool secondFirst = Gemm.SweepBackwards(ref second), thirdFirst = Gemm.SweepBackwards(ref third);
        for (int call = 1; call <= 5; call++)
        {
            Assert.Equal(call % 2 == 0 ? secondFirst : !secondFirst, Gemm.SweepBackwards(ref second));
            Assert.Equal(call % 2 == 0 ? thirdFirst : !thirdFirst, Gemm.SweepBackwards(ref third));
        }
    }

    [Fact]
    public void A_one_row_product_gives_the_same_bits_whichever_way_it_sweeps_the_weights()
    {
        // Batch-1 products read the weight matrix last row first on alternate calls; the outputs must not notice.
        const int n = 61, k = 203; // a partial last tile of 8 rows, a scalar tail along k
        var random = new Random(41);
        float[] x = NumericAssert.Random<float>(random, k), w = NumericAssert.Random<float>(random, n * k), bias = NumericAssert.Random<float>(random, n);
        var expected = new double[n];
        for (int j = 0; j < n; j++)
        {
            expected[j] = bias[j];
            for (int p = 0; p < k; p++)
                expected[j] += (double)x[p] * w[j * k + p];
        }
        float[] first = new float[n], second = new float[n];
        Dense.Forward<float>(first, x, w, bias, 1, k, n);
        Dense.Forward<float>(second, x, w, bias, 1, k, n);
        NumericAssert.Close<float>(expected, first, "first sweep");
        Assert.Equal(first, second);
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_shape()
    {
        var c = new float[6];
        var a = new float[6];
        var b = new float[5];
        var error = Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposed<float>(c, a, b, 2, 3, 3));
        Assert.Equal("b", error.ParamName);
        Assert.Contains("9", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyAdd<float>(new float[5], a, new float[9], 2, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.TransposeMultiplyAdd<float>(c, a, b, -1, 3, 3));
    }
}
