using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace ChainRule.Kernels;

/// <summary>
/// A fully connected layer in PyTorch's layout: activations <c>x</c> are <c>(batch, inputs)</c>, the weight
/// <c>W</c> is <c>(outputs, inputs)</c>, the bias <c>b</c> is <c>(outputs)</c>. The forward pass caches nothing:
/// the backward pass reads <c>x</c> and <c>W</c> directly.
/// </summary>
public static class Dense
{
    /// <summary><c>y = x Wᵀ + b</c>, i.e. <c>y[s,o] = Σ_i x[s,i]·W[o,i] + b[o]</c>, overwriting <paramref name="y"/>.</summary>
    /// <param name="y">Output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="x">Input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="weight">Shape <c>(outputs, inputs)</c>.</param>
    /// <param name="bias">Shape <c>(outputs)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(batch, outputs, inputs);
        Gemm.CheckLength(y.Length, batch, outputs, nameof(y), "(batch, outputs)");
        Gemm.CheckLength(x.Length, batch, inputs, nameof(x), "(batch, inputs)");
        Gemm.CheckLength(weight.Length, outputs, inputs, nameof(weight), "(outputs, inputs)");
        Gemm.CheckLength(bias.Length, 1, outputs, nameof(bias), "(1, outputs)");
        if (outputs == 0)
            return;
        // The bias is added as each dot product is stored: no second pass over y.
        Gemm.MultiplyTransposedCore(y, x, weight, bias, batch, outputs, inputs);
    }

    /// <summary><c>dx = dy W</c>, i.e. <c>dx[s,i] = Σ_o dy[s,o]·W[o,i]</c>, overwriting <paramref name="dx"/>.</summary>
    /// <param name="dx">Gradient of the input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="weight">Shape <c>(outputs, inputs)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    public static void BackwardInput<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        => BackwardInput(dx, dy, weight, batch, inputs, outputs, accumulate: false);

    /// <summary>
    /// <c>dx += dy W</c>, i.e. <c>dx[s,i] += Σ_o dy[s,o]·W[o,i]</c>: for an input that also receives gradient by another
    /// path, such as a residual stream.
    /// </summary>
    /// <param name="dx">Accumulated gradient of the input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="weight">Shape <c>(outputs, inputs)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    public static void BackwardInputAdd<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        => BackwardInput(dx, dy, weight, batch, inputs, outputs, accumulate: true);

    private static void BackwardInput<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, int batch, int inputs, int outputs, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(batch, inputs, outputs);
        Gemm.CheckLength(dx.Length, batch, inputs, nameof(dx), "(batch, inputs)");
        Gemm.CheckLength(dy.Length, batch, outputs, nameof(dy), "(batch, outputs)");
        Gemm.CheckLength(weight.Length, outputs, inputs, nameof(weight), "(outputs, inputs)");
        // dy[s,o] at s·outputs + o; with accumulate this is exactly Gemm.MultiplyAdd(dx, dy, weight, batch, inputs, outputs),
        // called through its core so that a wrong length names dx, dy or weight rather than c, a or b.
        Gemm.BroadcastCore(dx, dy, weight, batch, inputs, outputs, aRowStride: outputs, aDepthStride: 1, accumulate);
    }

    /// <summary>
    /// <c>dW += dyᵀ x</c> and <c>db += Σ_batch dy</c>, i.e. <c>dW[o,i] += Σ_s dy[s,o]·x[s,i]</c> and
    /// <c>db[o] += Σ_s dy[s,o]</c>. Parameter gradients accumulate, as in PyTorch.
    /// </summary>
    /// <param name="dweight">Accumulated weight gradient, shape <c>(outputs, inputs)</c>.</param>
    /// <param name="dbias">Accumulated bias gradient, shape <c>(outputs)</c>.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="x">The forward input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    public static void BackwardParameters<T>(Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(outputs, inputs, batch);
        Gemm.CheckLength(dweight.Length, outputs, inputs, nameof(dweight), "(outputs, inputs)");
        Gemm.CheckLength(dbias.Length, 1, outputs, nameof(dbias), "(1, outputs)");
        Gemm.CheckLength(dy.Length, batch, outputs, nameof(dy), "(batch, outputs)");
        Gemm.CheckLength(x.Length, batch, inputs, nameof(x), "(batch, inputs)");
        // dy read as (batch, outputs) = Aᵀ with A = dyᵀ: a(o,s) at s·outputs + o.
        Gemm.BroadcastCore(dweight, dy, x, outputs, inputs, batch, aRowStride: 1, aDepthStride: outputs, accumulate: true);
        for (int s = 0; s < batch; s++)
            TensorPrimitives.Add(dbias, dy.Slice(s * outputs, outputs), dbias);
    }
}
