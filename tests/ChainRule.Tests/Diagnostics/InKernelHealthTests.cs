using System;
using System.Numerics;
using ChainRule.Kernels;
using ChainRule.Tests.Kernels;
using Xunit;

namespace ChainRule.Tests.Diagnostics;

/// <summary>The statistics the kernels gather as they store: gradient norms in the backward pass, dead units in the forward.</summary>
public class InKernelHealthTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 1, 3, 10 }, { 3, 7, 17 }, { 7, 33, 3 }, { 17, 65, 130 }, { 5, 130, 33 }, { 2, 16, 16 }, { 64, 64, 128 }, { 4, 1, 67 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Dense_backward_norms_equal_norms_of_the_stored_gradients(int batch, int inputs, int outputs)
    {
        Check<float>(batch, inputs, outputs);
        Check<double>(batch, inputs, outputs);

        static void Check<T>(int batch, int inputs, int outputs) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(batch * 7919 + inputs * 31 + outputs);
            T[] x = NumericAssert.Random<T>(random, batch * inputs), dy = NumericAssert.Random<T>(random, batch * outputs);
            // Non-zero starting gradients: the norms are of the accumulated result, not of this batch's contribution.
            T[] dw = NumericAssert.Random<T>(random, outputs * inputs), db = NumericAssert.Random<T>(random, outputs);
            T[] dwPlain = (T[])dw.Clone(), dbPlain = (T[])db.Clone();

            Dense.BackwardParameters<T>(dw, db, dy, x, batch, inputs, outputs, out double weightSquares, out double biasSquares);
            Dense.BackwardParameters<T>(dwPlain, dbPlain, dy, x, batch, inputs, outputs);

            string shape = $"<{typeof(T).Name}> batch={batch} inputs={inputs} outputs={outputs}";
            // The overload with norms stores exactly what the plain one stores.
            Assert.True(dw.AsSpan().SequenceEqual(dwPlain), "dW differs from the plain overload" + shape);
            Assert.True(db.AsSpan().SequenceEqual(dbPlain), "db differs from the plain overload" + shape);
            var (absolute, relative) = NumericAssert.Tolerance<T>();
            NumericAssert.Close<double>([NumericAssert.SumOfSquares<T>(dw)], [weightSquares], absolute, relative, "‖dW‖²" + shape);
            NumericAssert.Close<double>([NumericAssert.SumOfSquares<T>(db)], [biasSquares], absolute, relative, "‖db‖²" + shape);
        }
    }

    [Fact]
    public void Dense_backward_norms_are_non_finite_when_a_gradient_is()
    {
        const int batch = 3, inputs = 5, outputs = 19;
        var random = new Random(3);
        double[] x = NumericAssert.Random<double>(random, batch * inputs), dy = NumericAssert.Random<double>(random, batch * outputs);
        dy[1 * outputs + 17] = double.NaN; // row 1, column 17: a tail column on every width
        var dw = new double[outputs * inputs];
        var db = new double[outputs];
        Dense.BackwardParameters<double>(dw, db, dy, x, batch, inputs, outputs, out double weightSquares, out double biasSquares);
        Assert.True(double.IsNaN(weightSquares));
        Assert.True(double.IsNaN(biasSquares));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(130)]
    [InlineData(1027)]
    public void Relu_family_forward_counts_non_positive_pre_activations(int length)
    {
        Check<float>(length);
        Check<double>(length);

        static void Check<T>(int length) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(length);
            T[] x = NumericAssert.Random<T>(random, length);
            // Exact zeros, negative zero and a NaN (not counted: it is not dead, it is non-finite).
            for (int i = 0; i < length; i += 5) x[i] = T.Zero;
            if (length > 3) x[3] = T.NegativeZero;
            if (length > 2) x[length - 2] = T.NaN;
            int expected = 0;
            foreach (T v in x)
                if (v <= T.Zero) expected++;

            var y = new T[length];
            Assert.Equal(expected, Relu.Forward<T>(y, x));
            int zeros = 0;
            foreach (T v in y)
                if (v == T.Zero) zeros++;
            Assert.Equal(expected, zeros); // for ReLU, dead ⇔ output exactly 0
            Assert.Equal(expected, LeakyRelu.Forward<T>(y, x));

            T[] inPlace = (T[])x.Clone();
            Assert.Equal(expected, Relu.Forward<T>(inPlace, inPlace));
        }
    }
}
