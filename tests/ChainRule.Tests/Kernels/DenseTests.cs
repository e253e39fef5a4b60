using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

// Changes Gemm.ThreadCount, which is global: tests that do run one at a time.
[Collection("Worker pool")]
public class DenseTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 1, 3, 10 }, { 3, 7, 17 }, { 7, 33, 3 }, { 17, 65, 130 }, { 5, 130, 33 }, { 2, 16, 16 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_backward_match_reference(int batch, int inputs, int outputs)
    {
        Check<float>(batch, inputs, outputs);
        Check<double>(batch, inputs, outputs);

        static void Check<T>(int batch, int inputs, int outputs) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 131 + inputs * 17 + outputs);
            T[] x = NumericAssert.Random<T>(random, batch * inputs), w = NumericAssert.Random<T>(random, outputs * inputs);
            T[] b = NumericAssert.Random<T>(random, outputs), dy = NumericAssert.Random<T>(random, batch * outputs);
            T[] dw = NumericAssert.Random<T>(random, outputs * inputs), db = NumericAssert.Random<T>(random, outputs);
            double[] X = NumericAssert.ToDouble<T>(x), W = NumericAssert.ToDouble<T>(w), B = NumericAssert.ToDouble<T>(b), DY = NumericAssert.ToDouble<T>(dy);
            double[] expectedDw = NumericAssert.ToDouble<T>(dw), expectedDb = NumericAssert.ToDouble<T>(db);
            var expectedY = new double[batch * outputs];
            var expectedDx = new double[batch * inputs];
            for (int s = 0; s < batch; s++)
                for (int o = 0; o < outputs; o++)
                {
                    double sum = B[o];
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += X[s * inputs + i] * W[o * inputs + i];
                        expectedDx[s * inputs + i] += DY[s * outputs + o] * W[o * inputs + i];
                        expectedDw[o * inputs + i] += DY[s * outputs + o] * X[s * inputs + i];
                    }
                    expectedY[s * outputs + o] = sum;
                    expectedDb[o] += DY[s * outputs + o];
                }

            string shape = $"<{typeof(T).Name}> batch={batch} inputs={inputs} outputs={outputs}";
            T[] y = NumericAssert.Random<T>(random, batch * outputs);
            Dense.Forward<T>(y, x, w, b, batch, inputs, outputs);
            NumericAssert.Close<T>(expectedY, y, "Dense.Forward" + shape);

            T[] dx = NumericAssert.Random<T>(random, batch * inputs); // overwritten
            Dense.BackwardInput<T>(dx, dy, w, batch, inputs, outputs);
            NumericAssert.Close<T>(expectedDx, dx, "Dense.BackwardInput" + shape);

            T[] incoming = NumericAssert.Random<T>(random, batch * inputs), dxAdd = (T[])incoming.Clone();
            Dense.BackwardInputAdd<T>(dxAdd, dy, w, batch, inputs, outputs); // accumulated
            double[] expectedDxAdd = NumericAssert.ToDouble<T>(incoming);
            for (int i = 0; i < expectedDxAdd.Length; i++) expectedDxAdd[i] += expectedDx[i];
            NumericAssert.Close<T>(expectedDxAdd, dxAdd, "Dense.BackwardInputAdd" + shape);

            Dense.BackwardParameters<T>(dw, db, dy, x, batch, inputs, outputs); // accumulated
            NumericAssert.Close<T>(expectedDw, dw, "Dense.BackwardParameters dW" + shape);
            NumericAssert.Close<T>(expectedDb, db, "Dense.BackwardParameters db" + shape);
        }
    }

    [Fact]
    public void Backward_matches_finite_differences_of_a_linear_functional()
    {
        // L = Σ g ⊙ (x Wᵀ + b) ⇒ dL/dx = g W, dL/dW = gᵀ x, dL/db = Σ_s g.
        const int batch = 3, inputs = 5, outputs = 4;
        var random = new Random(3);
        double[] x = NumericAssert.Random<double>(random, batch * inputs), w = NumericAssert.Random<double>(random, outputs * inputs);
        double[] b = NumericAssert.Random<double>(random, outputs), g = NumericAssert.Random<double>(random, batch * outputs);
        double Loss()
        {
            var y = new double[batch * outputs];
            Dense.Forward<double>(y, x, w, b, batch, inputs, outputs);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += g[i] * y[i];
            return sum;
        }
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[b.Length];
        Dense.BackwardInput<double>(dx, g, w, batch, inputs, outputs);
        Dense.BackwardParameters<double>(dw, db, g, x, batch, inputs, outputs);
        GradientCheck.AgainstFiniteDifferences(x, dx, Loss, "dx");
        GradientCheck.AgainstFiniteDifferences(w, dw, Loss, "dW");
        GradientCheck.AgainstFiniteDifferences(b, db, Loss, "db");
    }

    [Theory]
    [InlineData(1, 300, 70)] // batch 1: dot products
    [InlineData(3, 7, 17)] // small, unpacked
    [InlineData(13, 301, 293)] // blocked: two depth blocks, edge rows, a partial last panel
    public void An_empty_bias_is_no_bias(int batch, int inputs, int outputs)
    {
        Check<float>();
        Check<double>();

        void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            // nn.Linear(bias=False): the same numbers as a bias of zeros, bit for bit, and no bias gradient.
            var random = new Random(batch * 7 + inputs + outputs);
            T[] x = NumericAssert.Random<T>(random, batch * inputs), w = NumericAssert.Random<T>(random, outputs * inputs), dy = NumericAssert.Random<T>(random, batch * outputs);
            T[] zeros = new T[outputs];
            T[] expected = new T[batch * outputs], actual = NumericAssert.Random<T>(random, batch * outputs);
            Dense.Forward<T>(expected, x, w, zeros, batch, inputs, outputs);
            Dense.Forward<T>(actual, x, w, default, batch, inputs, outputs);
            Assert.Equal(expected, actual);

            T[] expectedRelu = new T[batch * outputs], actualRelu = NumericAssert.Random<T>(random, batch * outputs);
            int expectedDead = Dense.ForwardRelu<T>(expectedRelu, x, w, zeros, batch, inputs, outputs);
            Assert.Equal(expectedDead, Dense.ForwardRelu<T>(actualRelu, x, w, default, batch, inputs, outputs));
            Assert.Equal(expectedRelu, actualRelu);

            T[] expectedDw = new T[outputs * inputs], actualDw = NumericAssert.Random<T>(random, outputs * inputs), db = new T[outputs];
            Dense.BackwardParameters<T>(expectedDw, db, dy, x, batch, inputs, outputs, accumulate: false, out double expectedSquares, out _);
            Dense.BackwardParameters<T>(actualDw, default, dy, x, batch, inputs, outputs, accumulate: false, out double weightSquares, out double biasSquares);
            Assert.Equal(expectedDw, actualDw);
            Assert.Equal(expectedSquares, weightSquares);
            Assert.Equal(0, biasSquares);
        }
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_shape()
    {
        var error = Assert.Throws<ArgumentException>(() => Dense.Forward<float>(new float[6], new float[6], new float[9], new float[2], 2, 3, 3));
        Assert.Equal("bias", error.ParamName);
        Assert.Throws<ArgumentException>(() => Dense.BackwardInput<float>(new float[5], new float[6], new float[9], 2, 3, 3));
        error = Assert.Throws<ArgumentException>(() => Dense.BackwardInputAdd<float>(new float[5], new float[6], new float[9], 2, 3, 3));
        Assert.Equal("dx", error.ParamName);
        Assert.Throws<ArgumentException>(() => Dense.BackwardParameters<float>(new float[9], new float[3], new float[6], new float[7], 2, 3, 3));
        error = Assert.Throws<ArgumentException>(() => Dense.BackwardParameters<float>(new float[9], new float[2], new float[6], new float[6], 2, 3, 3));
        Assert.Equal("dbias", error.ParamName);
    }

    [Theory]
    [InlineData(1, 300, 70, 1)] // batch 1: dot products, then a ReLU pass
    [InlineData(3, 40, 10, 1)] // a few rows, a logits-sized layer
    [InlineData(13, 301, 293, 1)] // blocked: two depth blocks, edge rows, a partial last panel
    [InlineData(96, 500, 720, 2)] // split by columns across two threads
    [InlineData(400, 470, 180, 2)] // split by rows across two threads
    public void Fused_relu_equals_the_product_then_the_relu_pass_and_both_measure_the_weight_norm(int batch, int inputs, int outputs, int threads)
    {
        Check<float>();
        Check<double>();

        void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch + inputs + outputs);
            T[] x = NumericAssert.Random<T>(random, batch * inputs), w = NumericAssert.Random<T>(random, outputs * inputs), b = NumericAssert.Random<T>(random, outputs);
            x[0] = T.NaN; // a NaN row: NaN propagates through max and is not counted dead
            T[] expectedPre = new T[batch * outputs], expectedY = new T[batch * outputs];
            T[] pre = new T[batch * outputs], y = new T[batch * outputs];
            int before = Gemm.ThreadCount;
            try
            {
                Gemm.ThreadCount = threads;
                Dense.Forward<T>(expectedPre, x, w, b, batch, inputs, outputs);
                int expectedDead = Relu.Forward<T>(expectedY, expectedPre);
                // ‖W‖ from the products that pack W (blocks summed as packed, parts of a split added) or a pass of its own.
                double[] weightNorms = new double[3];
                int dead = Dense.ForwardRelu<T>(pre, y, x, w, b, batch, inputs, outputs, weightNorms.AsSpan(0, 1));
                Assert.Equal(expectedPre, pre);
                Assert.Equal(expectedY, y);
                Assert.Equal(expectedDead, dead);
                T[] inPlace = NumericAssert.Random<T>(random, batch * outputs); // stale values, overwritten
                Assert.Equal(expectedDead, Dense.ForwardRelu<T>(inPlace, x, w, b, batch, inputs, outputs, weightNorms.AsSpan(1, 1)));
                Assert.Equal(expectedY, inPlace);
                T[] measured = new T[batch * outputs];
                Dense.Forward<T>(measured, x, w, b, batch, inputs, outputs, weightNorms.AsSpan(2, 1));
                Assert.Equal(expectedPre, measured);
                double expectedNorm = Math.Sqrt(NumericAssert.SumOfSquares<T>(w));
                var (absolute, relative) = NumericAssert.Tolerance<T>();
                NumericAssert.Close<double>([expectedNorm, expectedNorm, expectedNorm], weightNorms, absolute, relative, $"‖W‖ <{typeof(T).Name}>");
                if (batch > 1)
                    Assert.InRange(dead, 1, (batch - 1) * outputs - 1); // some dead, some alive, the NaN row neither
            }
            finally
            {
                Gemm.ThreadCount = before;
            }
        }
    }

    [Theory]
    [InlineData(1, 300, 70, 1)] // batch 1: the product, then a ReLU-gradient pass
    [InlineData(3, 40, 10, 1)] // a few rows
    [InlineData(256, 1024, 10, 1)] // behind a logits layer: depth 10
    [InlineData(13, 301, 293, 1)] // blocked: edge rows, a partial last panel
    [InlineData(96, 720, 500, 2)] // split by columns across two threads
    [InlineData(400, 180, 470, 2)] // split by rows across two threads
    public void Input_gradient_through_relu_equals_the_product_then_the_relu_backward(int batch, int inputs, int outputs, int threads)
    {
        Check<float>();
        Check<double>();

        void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch + inputs * 3 + outputs);
            T[] dy = NumericAssert.Random<T>(random, batch * outputs), w = NumericAssert.Random<T>(random, outputs * inputs);
            T[] pre = NumericAssert.Random<T>(random, batch * inputs);
            dy[0] = T.NaN; // a NaN in the first row's gradient: kept where the unit is alive, zeroed where it is dead
            pre[1] = T.Zero; // the subgradient at 0 is 0
            pre[2] = T.NaN; // a NaN pre-activation passes no gradient
            T[] dx = new T[batch * inputs], expected = new T[batch * inputs];
            T[] dpre = NumericAssert.Random<T>(random, batch * inputs); // stale values, overwritten
            int before = Gemm.ThreadCount;
            try
            {
                Gemm.ThreadCount = threads;
                Dense.BackwardInput<T>(dx, dy, w, batch, inputs, outputs);
                Relu.Backward<T>(expected, dx, pre, pre);
                Dense.BackwardInputRelu<T>(dpre, dy, w, pre, batch, inputs, outputs);
                Assert.Equal(expected, dpre);
                // The ReLU's output gates the same places as its input: layers that keep only the output pass it.
                T[] output = new T[batch * inputs], gatedByOutput = new T[batch * inputs];
                Relu.Forward<T>(output, pre);
                Dense.BackwardInputRelu<T>(gatedByOutput, dy, w, output, batch, inputs, outputs);
                Assert.Equal(expected, gatedByOutput);
                Assert.Equal(T.Zero, dpre[1]);
                Assert.Equal(T.Zero, dpre[2]);
                Assert.Contains(dpre, value => T.IsNaN(value)); // the NaN reached some live unit of row 0
                Assert.Contains(dpre, value => value == T.Zero);
            }
            finally
            {
                Gemm.ThreadCount = before;
            }
        }
    }

    [Fact]
    public void Input_gradient_through_relu_names_a_wrong_pre_activation()
    {
        var error = Assert.Throws<ArgumentException>(() => Dense.BackwardInputRelu<float>(new float[6], new float[6], new float[9], new float[5], 2, 3, 3));
        Assert.Equal("pre", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Dense.BackwardInputRelu<float>(new float[5], new float[6], new float[9], new float[6], 2, 3, 3));
        Assert.Equal("dpre", error.ParamName);
    }

    [Theory]
    [InlineData(3, 7, 17)] // unblocked: a few output rows
    [InlineData(40, 130, 70)] // blocked, with edge tiles
    public void Parameter_gradients_overwrite_without_accumulate(int batch, int inputs, int outputs)
    {
        var random = new Random(batch * 7 + inputs);
        float[] x = NumericAssert.Random<float>(random, batch * inputs), dy = NumericAssert.Random<float>(random, batch * outputs);
        float[] expectedW = new float[outputs * inputs], expectedB = new float[outputs];
        Dense.BackwardParameters<float>(expectedW, expectedB, dy, x, batch, inputs, outputs, out double expectedWeightSquares, out double expectedBiasSquares);
        float[] dw = NumericAssert.Random<float>(random, outputs * inputs), db = NumericAssert.Random<float>(random, outputs); // stale values
        Dense.BackwardParameters<float>(dw, db, dy, x, batch, inputs, outputs, accumulate: false, out double weightSquares, out double biasSquares);
        Assert.Equal(expectedW, dw);
        Assert.Equal(expectedB, db);
        Assert.Equal(expectedWeightSquares, weightSquares);
        Assert.Equal(expectedBiasSquares, biasSquares);
    }
}
