using System;
using System.Linq;
using ChainRule.Tests.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Behaviour;

/// <summary>
/// Batch-1 inference against a plain double reference, and the real batch contract of <c>Predict</c> and
/// <c>PredictBatch</c> (docs/numerics.md, "Inference and batches"): bit-identical where both take the same kernel,
/// within float rounding of the dot products where the batch takes the packed product.
/// </summary>
// Changes Gemm.ThreadCount, which is global: tests that do run one at a time.
[Collection("Worker pool")]
public class InferenceBehaviourTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Batch_one_predict_matches_a_double_reference_through_the_scalar_tail(int threads) => Reference.WithThreads(threads, () =>
    {
        var model = new OneRowModel(5);
        float[] input = Reference.RandomFloats(6, BehaviourSizes.OddInputs);
        double[] expected = Reference.Forward(NumericAssert.ToDouble<float>(input), 1,
            DenseReference.Of(model.Hidden, Math.Tanh), DenseReference.Of(model.Output, Reference.Identity));
        var output = new float[BehaviourSizes.OddInputs];
        model.Predict(input, output);
        Reference.Close(expected, output, 2e-6, 1e-5, $"Predict at {threads} thread(s)");
    });

    /// <summary>Rounding of a length-k float dot product: a few ulps of <c>Σ|x_i·w_i|</c>, bounded here per output.</summary>
    private static double DotRounding(int depth) => depth * 1.2e-7;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_wide_float_batch_agrees_with_predict_of_each_row_within_dot_product_rounding(int threads) => Reference.WithThreads(threads, () =>
    {
        var model = new WideRegressor(41);
        const int batch = 37; // two full predict chunks and a tail
        float[] inputs = Reference.RandomFloats(42, batch * 64);
        var batched = new float[batch * 8];
        model.PredictBatch(inputs, batched);
        var alone = new float[batch * 8];
        for (int s = 0; s < batch; s++)
            model.Predict(inputs.AsSpan(s * 64, 64), alone.AsSpan(s * 8, 8));

        double scale = alone.Max(Math.Abs);
        double worst = batched.Select((v, i) => Math.Abs(v - alone[i])).Max();
        log.WriteLine($"{batched.Where((v, i) => v != alone[i]).Count()} of {batched.Length} outputs differ, worst {worst:E2} (outputs up to {scale:E2})");
        // Three layers of depth ≤ 96, each adding a dot product's rounding, relative to the outputs' scale.
        Assert.True(worst <= 3 * DotRounding(96) * scale, $"PredictBatch and Predict differ by {worst:E3}, more than the rounding of the dot products allows");
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_narrow_float_batch_is_bit_identical_to_predict_of_each_row(int threads) => Reference.WithThreads(threads, () =>
    {
        var model = new NarrowModel(43);
        const int batch = 37;
        int inputs = BehaviourSizes.OddInputs, outputs = ChainRule.Kernels.Gemm.PackedMinColumns - 7;
        float[] x = Reference.RandomFloats(44, batch * inputs);
        var batched = new float[batch * outputs];
        model.PredictBatch(x, batched);
        var alone = new float[batch * outputs];
        for (int s = 0; s < batch; s++)
            model.Predict(x.AsSpan(s * inputs, inputs), alone.AsSpan(s * outputs, outputs));
        Assert.Equal(alone, batched);
    });

    [Fact]
    public void A_wide_double_batch_agrees_with_predict_of_each_row_within_double_rounding()
    {
        var model = new WideRegressorDouble(45);
        const int batch = 37;
        double[] inputs = NumericAssert.ToDouble<float>(Reference.RandomFloats(46, batch * 64));
        var batched = new double[batch * 8];
        model.PredictBatch(inputs, batched);
        var alone = new double[batch * 8];
        for (int s = 0; s < batch; s++)
            model.Predict(inputs.AsSpan(s * 64, 64), alone.AsSpan(s * 8, 8));
        double worst = batched.Select((v, i) => Math.Abs(v - alone[i])).Max();
        log.WriteLine($"double: {batched.Where((v, i) => v != alone[i]).Count()} of {batched.Length} outputs differ, worst {worst:E2}");
        Assert.True(worst <= 3 * 96 * 2.3e-16 * alone.Max(Math.Abs), $"double PredictBatch and Predict differ by {worst:E3}");
    }
}
