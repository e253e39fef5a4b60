using System;
using System.Numerics;
using ChainRule.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Kernels;

/// <summary>
/// <see cref="ISimd{TSelf, T}.Exp"/> on float lanes against <see cref="Math.Exp"/> in double, at every width: the float
/// vector widths run <see cref="Simd.ExpSingle{TSimd}"/>, the scalar row the runtime's <c>MathF.Exp</c>.
/// </summary>
public class ExpTests(ITestOutputHelper output)
{
    // 2^−149, the spacing of float subnormals, and the ulp of every result below 2^−126.
    private const double SubnormalUlp = 1.401298464324817e-45;

    // 2^−126, the smallest normal float.
    private const double MinNormal = 1.1754943508222875e-38;

    [Theory]
    [SimdWidth(512, "float")] [SimdWidth(256, "float")] [SimdWidth(128, "float")] [SimdWidth(0, "float")]
    public void Float_exp_is_within_two_ulps_over_its_whole_finite_range(int bits, string element) =>
        SimdWidthAttribute.Invoke(typeof(ExpTests), nameof(CheckSweep), bits, element, output);

    // A prime stride through the bit patterns of [−104, 89] (about 9 million floats) so that every binade is visited
    // and the low mantissa bits vary; results that round to ±∞ or 0 in float are checked exactly.
    private static void CheckSweep<TSimd, T>(ITestOutputHelper output)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int stride = 241;
        var inputs = new System.Collections.Generic.List<float>();
        for (uint b = 0; b <= BitConverter.SingleToUInt32Bits(89f); b += stride)
            inputs.Add(BitConverter.UInt32BitsToSingle(b));
        for (uint b = 0x80000000u; b <= BitConverter.SingleToUInt32Bits(-104f); b += stride)
            inputs.Add(BitConverter.UInt32BitsToSingle(b));
        float[] x = inputs.ToArray();
        (double worst, float at) = MaxUlpError(x, Evaluate<TSimd, T>(x));
        output.WriteLine($"{typeof(TSimd).Name}: max error {worst:F3} ulps at x = {at:R} over {inputs.Count} inputs");
        Assert.True(worst <= 2, $"max error {worst:F3} ulps at x = {at:R} over {inputs.Count} inputs");
    }

    [Theory]
    [SimdWidth(512, "float")] [SimdWidth(256, "float")] [SimdWidth(128, "float")] [SimdWidth(0, "float")]
    public void Float_exp_keeps_subnormal_results(int bits, string element) =>
        SimdWidthAttribute.Invoke(typeof(ExpTests), nameof(CheckSubnormals), bits, element, output);

    // Every float x whose e^x lies in the subnormal range [2^−149, 2^−126), and a little beyond at both ends.
    private static void CheckSubnormals<TSimd, T>(ITestOutputHelper output)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var inputs = new System.Collections.Generic.List<float>();
        for (uint b = BitConverter.SingleToUInt32Bits(-87f); b <= BitConverter.SingleToUInt32Bits(-104f); b++)
            inputs.Add(BitConverter.UInt32BitsToSingle(b));
        float[] x = inputs.ToArray();
        float[] y = Evaluate<TSimd, T>(x);
        int subnormal = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double expected = Math.Exp(inputs[i]);
            if (expected >= SubnormalUlp)
                Assert.True(y[i] > 0, $"e^{inputs[i]:R} = {expected:R} flushed to {y[i]:R}");
            if (expected < MinNormal && y[i] > 0)
                subnormal++;
        }
        (double worst, float at) = MaxUlpError(x, y);
        output.WriteLine($"{typeof(TSimd).Name}: max error {worst:F3} ulps at x = {at:R} over {inputs.Count} inputs, {subnormal} subnormal results");
        Assert.True(worst <= 2, $"max error {worst:F3} ulps at x = {at:R} (subnormal spacing below 2^-126)");
        Assert.True(subnormal > 1_000_000, $"only {subnormal} subnormal results");
    }

    [Theory]
    [SimdWidth(512, "float")] [SimdWidth(256, "float")] [SimdWidth(128, "float")] [SimdWidth(0, "float")]
    public void Float_exp_special_values_are_exact(int bits, string element) =>
        SimdWidthAttribute.Invoke(typeof(ExpTests), nameof(CheckSpecialValues), bits, element);

    private static void CheckSpecialValues<TSimd, T>()
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        float[] x = [float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f,
            88.8f, 89f, 89.5f, 100f, 1e30f, float.MaxValue, -104f, -105f, -200f, -1e30f, float.MinValue];
        float[] y = Evaluate<TSimd, T>(x);
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[1]), $"e^NaN = {y[0]:R}, {y[1]:R}");
        Assert.Equal(float.PositiveInfinity, y[2]);
        AssertPositiveZero(y[3], x[3]);
        Assert.Equal(1f, y[4]);
        Assert.Equal(1f, y[5]);
        for (int i = 6; i <= 11; i++)
            Assert.True(y[i] == float.PositiveInfinity, $"e^{x[i]:R} = {y[i]:R}, expected +∞");
        for (int i = 12; i < x.Length; i++)
            AssertPositiveZero(y[i], x[i]);

        // Either side of the overflow threshold (ln float.MaxValue ≈ 88.7228) and of the last subnormal (≈ −103.97),
        // bit pattern by bit pattern: finite exactly where the correctly rounded result is, nonzero exactly where it is.
        var edges = new System.Collections.Generic.List<float>();
        foreach (float centre in new[] { 88.72284f, -103.97208f, -103.27893f })
        {
            uint c = BitConverter.SingleToUInt32Bits(centre);
            for (uint b = c - 200; b <= c + 200; b++)
                edges.Add(BitConverter.UInt32BitsToSingle(b));
        }
        float[] e = Evaluate<TSimd, T>(edges.ToArray());
        for (int i = 0; i < e.Length; i++)
        {
            float rounded = (float)Math.Exp(edges[i]);
            Assert.True(float.IsFinite(rounded) == float.IsFinite(e[i]), $"e^{edges[i]:R} = {e[i]:R}, correctly rounded {rounded:R}");
            if (Math.Exp(edges[i]) > SubnormalUlp)
                Assert.True(e[i] > 0, $"e^{edges[i]:R} = {e[i]:R}, correctly rounded {rounded:R}");
        }
    }

    private static void AssertPositiveZero(float actual, float x)
        => Assert.True(BitConverter.SingleToUInt32Bits(actual) == 0, $"e^{x:R} = {actual:R} (bits {BitConverter.SingleToUInt32Bits(actual):X8}), expected +0");

    // The error of y = e^x in units of the float spacing at the exact result; results that overflow float must be +∞.
    private static (double Worst, float At) MaxUlpError(float[] x, float[] y)
    {
        double worst = 0;
        float at = float.NaN;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]);
            if (float.IsInfinity((float)expected))
            {
                Assert.True(float.IsPositiveInfinity(y[i]), $"e^{x[i]:R} = {y[i]:R}, expected +∞");
                continue;
            }
            double ulp = expected < MinNormal ? SubnormalUlp : Math.ScaleB(1.0, Math.ILogB(expected) - 23);
            double error = Math.Abs(y[i] - expected) / ulp;
            if (!(error <= worst))
            {
                worst = error;
                at = x[i];
            }
        }
        return (worst, at);
    }

    private static float[] Evaluate<TSimd, T>(float[] x)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = TSimd.Count;
        int padded = (x.Length + count - 1) / count * count;
        var input = new T[padded];
        for (int i = 0; i < x.Length; i++)
            input[i] = T.CreateTruncating(x[i]);
        var output = new T[padded];
        for (int i = 0; i < padded; i += count)
            TSimd.Store(TSimd.Exp(TSimd.Load(in input[0], (nuint)i)), ref output[0], (nuint)i);
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            y[i] = float.CreateTruncating(output[i]);
        return y;
    }
}
