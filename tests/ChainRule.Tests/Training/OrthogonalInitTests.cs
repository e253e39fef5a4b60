using System;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

/// <summary>
/// <c>torch.nn.init.orthogonal_</c>'s convention, not only orthonormality: with <c>A</c> the normal draw of shape
/// <c>(max, min)</c>, <c>Q</c> is the factor of <c>A = QR</c> whose <c>R</c> has a positive diagonal (torch's sign
/// correction), used as the weight when <c>outputs ≥ inputs</c> and transposed otherwise.
/// </summary>
public class OrthogonalInitTests
{
    [Theory]
    [InlineData(3, 5)] // outputs > inputs: W = Q
    [InlineData(4, 4)] // square: W = Q, not Qᵀ
    [InlineData(6, 2)] // outputs < inputs: W = Qᵀ
    public void The_weight_is_the_Q_of_the_draw_with_R_upper_triangular_and_positive(int inputs, int outputs)
    {
        var weight = new double[inputs * outputs];
        var random = new DeterministicRandom(11, 2);
        Initializers.Fill<double>(weight, inputs, outputs, Init.Orthogonal, ref random);

        int rows = Math.Max(inputs, outputs), columns = Math.Min(inputs, outputs);
        var draw = new DeterministicRandom(11, 2);
        var a = new double[rows * columns];
        for (int i = 0; i < a.Length; i++) a[i] = draw.NextNormal();
        // Q[r, c] as the weight holds it: (outputs, inputs) = (rows, columns), or its transpose.
        double Q(int r, int c) => outputs >= inputs ? weight[r * columns + c] : weight[c * inputs + r];

        for (int i = 0; i < columns; i++)
            for (int j = 0; j < columns; j++)
            {
                double qq = 0, r = 0; // (QᵀQ)[i, j] and R[i, j] = (QᵀA)[i, j]
                for (int k = 0; k < rows; k++)
                {
                    qq += Q(k, i) * Q(k, j);
                    r += Q(k, i) * a[k * columns + j];
                }
                Assert.True(Math.Abs(qq - (i == j ? 1 : 0)) < 1e-12, $"QᵀQ[{i}, {j}] = {qq} ({outputs}×{inputs})");
                if (i > j)
                    Assert.True(Math.Abs(r) < 1e-12, $"R[{i}, {j}] = {r}: below the diagonal ({outputs}×{inputs})");
                if (i == j)
                    Assert.True(r > 1e-3, $"R[{i}, {i}] = {r}: the diagonal must be positive ({outputs}×{inputs})");
            }
    }

    [Fact]
    public void Schemes_that_are_not_schemes_are_refused_saying_what_to_do()
    {
        var random = new DeterministicRandom(1, 0);
        var weight = new float[6];
        var error = Assert.Throws<ArgumentException>(() => Fill(Init.Default));
        Assert.Equal("scheme", error.ParamName);
        Assert.Contains("Initializers.DefaultFor(activation)", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => Fill(Init.Zeros));
        Assert.Contains("symmetry problem", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown initialization scheme", Assert.Throws<ArgumentOutOfRangeException>(() => Fill((Init)99)).Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.DefaultFor((Activation)99));
        Assert.Equal("activation", unknown.ParamName);
        Assert.Contains("Unknown activation", unknown.Message, StringComparison.Ordinal);

        void Fill(Init scheme) => Initializers.Fill<float>(weight, 3, 2, scheme, ref random);
    }
}
