using System;
using System.IO;
using ChainRule.Serialization;
using Xunit;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Fixtures/independent.safetensors was written by Fixtures/write_fixture.py, which uses only Python's json and
/// struct; the values checked here are the formulas its docstring states.
/// </summary>
public class IndependentWriterTests
{
    private static SafeTensorsFile Fixture() =>
        SafeTensorsFile.Load(Path.Combine(AppContext.BaseDirectory, "Serialization", "Fixtures", "independent.safetensors"));

    [Fact]
    public void The_Python_fixture_loads_with_the_values_its_script_wrote()
    {
        var file = Fixture();
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("write_fixture.py", file.Metadata["writer"]);
        Assert.Equal(["dense.bias", "dense.weight", "empty", "step", "norm.weight", "norm.bias"], System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(file.Tensors, t => t.Name)));

        var weight = new float[6];
        file.CopyTo<float>("dense.weight", weight, requireFinite: true);
        Assert.Equal([2L, 3L], file["dense.weight"].Shape);
        for (int k = 0; k < 6; k++)
            Assert.Equal(k * 0.25f - 1f, weight[k]);

        var bias = new double[3];
        file.CopyTo<double>("dense.bias", bias);
        for (int i = 0; i < 3; i++)
            Assert.Equal(1.0 / (i + 1), bias[i]);

        var gamma = new float[4];
        file.CopyTo<float>("norm.weight", gamma);
        Assert.Equal(SafeTensorsDType.F16, file["norm.weight"].DType);
        for (int i = 0; i < 4; i++)
            Assert.Equal(MathF.Pow(1.5f, i), gamma[i]);

        var beta = new double[4];
        file.CopyTo<double>("norm.bias", beta);
        Assert.Equal(SafeTensorsDType.BF16, file["norm.bias"].DType);
        Assert.Equal([2L, 2L], file["norm.bias"].Shape);
        for (int i = 0; i < 4; i++)
            Assert.Equal(-Math.Pow(2, i) / 8, beta[i]);

        var step = new double[1];
        file.CopyTo<double>("step", step);
        Assert.Empty(file["step"].Shape);
        Assert.Equal(42.0, step[0]);

        Assert.Equal(0, file["empty"].ElementCount);
        file.CopyTo<float>("empty", Span<float>.Empty);
    }
}
