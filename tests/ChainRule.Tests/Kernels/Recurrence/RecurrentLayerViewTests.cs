using System;
using System.Linq;
using Xunit;

namespace ChainRule.Tests.Kernels.Recurrence;

/// <summary>The layer views: PyTorch's tensor order from the offset, gradients at the same places, the views' argument checks.</summary>
public class RecurrentLayerViewTests
{
    private delegate (int Gates, Func<Span<double>>[] Tensors, Func<Span<double>>[] Gradients, string Name, int Inputs, int Hidden, bool HasBias) View(
        string name, double[] parameters, double[] gradients, int offset, int inputs, int hidden, bool bias);

    private static View For(CellKind kind) => (n, p, g, o, i, h, b) =>
    {
        var v = new RecurrentLayer<double>(n, p, g, o, i, h, RecurrentReference.Gates(kind), b);
        return (v.Gates, [() => v.WeightIH, () => v.WeightHH, () => v.BiasIH, () => v.BiasHH],
            [() => v.WeightIHGradient, () => v.WeightHHGradient, () => v.BiasIHGradient, () => v.BiasHHGradient], v.Name, v.Inputs, v.Hidden, v.HasBias);
    };

    public static TheoryData<CellKind, bool> Views() => new() { { CellKind.Lstm, true }, { CellKind.Lstm, false }, { CellKind.Gru, true }, { CellKind.Gru, false }, { CellKind.RnnTanh, true }, { CellKind.RnnTanh, false } };

    [Theory]
    [MemberData(nameof(Views))]
    public void Tensors_follow_one_another_in_pytorchs_order_from_the_offset(CellKind kind, bool bias)
    {
        const int inputs = 3, hidden = 5, offset = 7;
        int gates = RecurrentReference.Gates(kind), width = gates * hidden;
        int[] lengths = [width * inputs, width * hidden, bias ? width : 0, bias ? width : 0];
        int total = lengths.Sum();
        var parameters = Enumerable.Range(0, offset + total + 4).Select(i => (double)i).ToArray();
        var gradients = parameters.Select(v => -v).ToArray();
        var view = For(kind)("Encoder", parameters, gradients, offset, inputs, hidden, bias);

        Assert.Equal(gates, view.Gates);
        Assert.Equal(("Encoder", inputs, hidden, bias), (view.Name, view.Inputs, view.Hidden, view.HasBias));
        int start = offset;
        for (int k = 0; k < 4; k++)
        {
            Span<double> tensor = view.Tensors[k](), gradient = view.Gradients[k]();
            Assert.Equal(lengths[k], tensor.Length);
            Assert.Equal(lengths[k], gradient.Length);
            if (lengths[k] > 0)
            {
                Assert.Equal(start, tensor[0]);
                Assert.Equal(start + lengths[k] - 1, tensor[^1]);
                Assert.Equal(-start, gradient[0]);
            }
            start += lengths[k];
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.RnnTanh)]
    public void Bad_arguments_are_refused_with_the_parameter_named(CellKind kind)
    {
        View view = For(kind);
        int count = RecurrentReference.Gates(kind) * 4 * (3 + 4 + 2);
        var buffer = new double[count];
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => view(null!, buffer, buffer, 0, 3, 4, true)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentNullException>(() => view("L", null!, buffer, 0, 3, 4, true)).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentNullException>(() => view("L", buffer, null!, 0, 3, 4, true)).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => view("L", buffer, new double[count + 1], 0, 3, 4, true)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => view("L", buffer, buffer, 0, 0, 4, true)).ParamName);
        Assert.Equal("hidden", Assert.Throws<ArgumentOutOfRangeException>(() => view("L", buffer, buffer, 0, 3, -1, true)).ParamName);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => view("L", buffer, buffer, 1, 3, 4, true));
        Assert.Equal("offset", outside.ParamName);
        Assert.Contains($"has {count} parameters", outside.Message, StringComparison.Ordinal);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => view("L", buffer, buffer, -1, 3, 4, true)).ParamName);
        view("L", buffer, buffer, 0, 3, 4, true); // exactly fits
        view("L", buffer, buffer, 1, 3, 4, false);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public void A_gate_count_of_no_cell_is_refused(int gates)
    {
        var buffer = new double[gates * 4 * (3 + 4 + 2) + 64];
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentLayer<double>("L", buffer, buffer, 0, 3, 4, gates));
        Assert.Equal("gates", refused.ParamName);
    }
}
