using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class ResidualTests
{
    public static TheoryData<int> Lengths() => new() { 1, 3, 7, 17, 33, 65 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Add_and_ScaleBackward_match_reference(int length)
    {
        Check<float>(length);
        Check<double>(length);

        static void Check<T>(int length) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(length);
            T[] residual = NumericAssert.Random<T>(random, length), branch = NumericAssert.Random<T>(random, length), dsum = NumericAssert.Random<T>(random, length);
            T scale = T.CreateTruncating(-0.3);
            double[] R = NumericAssert.ToDouble<T>(residual), Br = NumericAssert.ToDouble<T>(branch), G = NumericAssert.ToDouble<T>(dsum);
            double alpha = double.CreateTruncating(scale);
            string shape = $"<{typeof(T).Name}> length={length}";

            T[] sum = NumericAssert.Random<T>(random, length);
            Residual.Add<T>(sum, residual, branch, scale);
            NumericAssert.Close<T>(NormReference.Add(R, Br, alpha), sum, "Residual.Add" + shape);

            T[] dbranch = NumericAssert.Random<T>(random, length); // overwritten
            T[] dscale = [T.CreateTruncating(0.25)];                // accumulated
            Residual.ScaleBackward<T>(dbranch, dscale, dsum, branch, scale);
            var expectedDbranch = new double[length];
            for (int i = 0; i < length; i++) expectedDbranch[i] = alpha * G[i];
            NumericAssert.Close<T>(expectedDbranch, dbranch, "Residual.ScaleBackward dbranch" + shape);
            NumericAssert.Close<T>([0.25 + NormReference.Dot(Br, G)], dscale, "Residual.ScaleBackward dscale" + shape);

            // In place: dbranch may be dsum itself.
            T[] inPlace = (T[])dsum.Clone();
            T[] inPlaceDscale = [T.CreateTruncating(0.25)];
            Residual.ScaleBackward<T>(inPlace, inPlaceDscale, inPlace, branch, scale);
            Assert.Equal(dbranch, inPlace);
            Assert.Equal(dscale, inPlaceDscale);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ScaleBackward_matches_finite_differences(int length)
    {
        // L = Σ g ⊙ (residual + α·branch).
        var random = new Random(length * 3);
        double[] residual = NumericAssert.Random<double>(random, length), branch = NumericAssert.Random<double>(random, length);
        double[] g = NumericAssert.Random<double>(random, length), scale = [0.7];
        double Loss()
        {
            var sum = new double[length];
            Residual.Add<double>(sum, residual, branch, scale[0]);
            return NormReference.Dot(g, sum);
        }
        double[] dbranch = new double[length], dscale = new double[1];
        Residual.ScaleBackward<double>(dbranch, dscale, g, branch, scale[0]);
        GradientCheck.AgainstFiniteDifferencesNormwise(branch, dbranch, Loss, $"Residual.ScaleBackward dbranch length={length}");
        GradientCheck.AgainstFiniteDifferencesNormwise(scale, dscale, Loss, $"Residual.ScaleBackward dscale length={length}");
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_argument()
    {
        var error = Assert.Throws<ArgumentException>(() => Residual.Add<float>(new float[4], new float[4], new float[3], 1f));
        Assert.Equal("branch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Residual.ScaleBackward<float>(new float[4], new float[2], new float[4], new float[4], 1f));
        Assert.Equal("dscale", error.ParamName);
    }
}
