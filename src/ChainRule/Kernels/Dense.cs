using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ChainRule.Kernels;

/// <summary>
/// A fully connected layer in PyTorch's layout: activations <c>x</c> are <c>(batch, inputs)</c>, the weight
/// <c>W</c> is <c>(outputs, inputs)</c>, the bias <c>b</c> is <c>(outputs)</c>. The forward pass caches nothing:
/// the backward pass reads <c>x</c> and <c>W</c> directly.
/// </summary>
/// <remarks>
/// A layer without bias (PyTorch's <c>nn.Linear(bias=False)</c>) passes an empty span (<c>default</c>) for
/// <c>b</c> and for <c>db</c>: the forward pass then adds nothing and the backward pass sums no columns. Any other
/// length must be <c>outputs</c>.
/// </remarks>
public static class Dense
{
    /// <summary><c>y = x Wᵀ + b</c>, i.e. <c>y[s,o] = Σ_i x[s,i]·W[o,i] + b[o]</c>, overwriting <paramref name="y"/>.</summary>
    /// <param name="y">Output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="x">Input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="weight">Shape <c>(outputs, inputs)</c>.</param>
    /// <param name="bias">Shape <c>(outputs)</c>, or empty for none.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="weightNorm">
    /// Empty, or a span whose first element receives <c>‖W‖ = √Σ W²</c>, summed block by block as the product packs
    /// <paramref name="weight"/> (each block then in L2) rather than in a pass over all of it afterwards; products too
    /// small to pack take that pass.
    /// </param>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int batch, int inputs, int outputs,
        Span<double> weightNorm = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(batch, outputs, inputs);
        Gemm.CheckLength(y.Length, batch, outputs, nameof(y), "(batch, outputs)");
        Gemm.CheckLength(x.Length, batch, inputs, nameof(x), "(batch, inputs)");
        Gemm.CheckLength(weight.Length, outputs, inputs, nameof(weight), "(outputs, inputs)");
        CheckBias(bias.Length, outputs, nameof(bias));
        // The bias is added as each dot product is stored: no second pass over y.
        Multiply(y, x, weight, bias, batch, inputs, outputs, relu: default, weightNorm);
    }

    /// <summary>A bias is <c>(outputs)</c>, or empty for a layer without one.</summary>
    private static void CheckBias(int length, int outputs, string parameterName)
    {
        if (length != 0)
            Gemm.CheckLength(length, 1, outputs, parameterName, "(1, outputs)");
    }

    /// <summary>The product behind the forward passes, with <c>‖W‖</c> measured on the way when asked.</summary>
    private static int Multiply<T>(Span<T> pre, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int batch, int inputs, int outputs, Span<T> relu,
        Span<double> weightNorm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double weightSquares = 0;
        int dead = outputs == 0 ? 0 : Gemm.MultiplyTransposedCore(pre, x, weight, bias, batch, outputs, inputs, relu, sumSquaresOfB: !weightNorm.IsEmpty, ref weightSquares);
        if (!weightNorm.IsEmpty)
            weightNorm[0] = Math.Sqrt(weightSquares);
        return dead;
    }

    /// <summary>
    /// <c>pre = x Wᵀ + b</c> and <c>y = max(pre, 0)</c>: a dense layer and its ReLU in one pass, the activation applied
    /// in the matrix product's epilogue from the registers that store <paramref name="pre"/> (products too small for
    /// the blocked path take a second pass). Equal to <see cref="Forward{T}"/> followed by <see cref="Relu.Forward{T}"/>.
    /// </summary>
    /// <param name="pre">Pre-activation output, shape <c>(batch, outputs)</c>, kept for the backward pass.</param>
    /// <param name="y">Activation output, shape <c>(batch, outputs)</c>; <paramref name="pre"/> itself, or not overlapping it.</param>
    /// <param name="x">Input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="weight">Shape <c>(outputs, inputs)</c>.</param>
    /// <param name="bias">Shape <c>(outputs)</c>, or empty for none.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="weightNorm"><inheritdoc cref="Forward{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, int, Span{double})" path="/param[@name='weightNorm']"/></param>
    /// <returns>The dead outputs <c>#{y = 0}</c>, i.e. <c>#{pre ≤ 0}</c> (NaN not counted), as <see cref="Relu.Forward{T}"/> returns.</returns>
    public static int ForwardRelu<T>(Span<T> pre, Span<T> y, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int batch, int inputs, int outputs,
        Span<double> weightNorm = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(batch, outputs, inputs);
        Gemm.CheckLength(pre.Length, batch, outputs, nameof(pre), "(batch, outputs)");
        Gemm.CheckLength(y.Length, batch, outputs, nameof(y), "(batch, outputs)");
        Gemm.CheckLength(x.Length, batch, inputs, nameof(x), "(batch, inputs)");
        Gemm.CheckLength(weight.Length, outputs, inputs, nameof(weight), "(outputs, inputs)");
        CheckBias(bias.Length, outputs, nameof(bias));
        return Multiply(pre, x, weight, bias, batch, inputs, outputs, relu: y, weightNorm);
    }

    /// <summary>
    /// <c>y = max(x Wᵀ + b, 0)</c>, as <see cref="ForwardRelu{T}(Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, int, Span{double})"/>
    /// with the pre-activation overwritten by the output in place: the ReLU's backward needs only where the output is
    /// positive, which is exactly where the pre-activation is (<see cref="Relu.Backward{T}"/>, <see cref="BackwardInputRelu{T}"/>
    /// take either), so a layer need not keep both.
    /// </summary>
    /// <param name="y">Activation output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="x">Input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="weight">Shape <c>(outputs, inputs)</c>.</param>
    /// <param name="bias">Shape <c>(outputs)</c>, or empty for none.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="weightNorm"><inheritdoc cref="Forward{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, int, Span{double})" path="/param[@name='weightNorm']"/></param>
    /// <returns>The dead outputs <c>#{y = 0}</c>, i.e. <c>#{x Wᵀ + b ≤ 0}</c> (NaN not counted).</returns>
    public static int ForwardRelu<T>(Span<T> y, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int batch, int inputs, int outputs,
        Span<double> weightNorm = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ForwardRelu(y, y, x, weight, bias, batch, inputs, outputs, weightNorm);

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

    /// <summary>
    /// The input gradient carried on back through the ReLU that produced the input:
    /// <c>dpre[s,i] = pre[s,i] &gt; 0 ? Σ_o dy[s,o]·W[o,i] : 0</c>, i.e. <see cref="BackwardInput{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, int)"/> followed by
    /// <see cref="Relu.Backward{T}"/>, equal to them bit for bit, with the ReLU applied in the product's epilogue while
    /// each tile is in registers or L1 (no <c>dx</c> buffer, no second pass).
    /// </summary>
    /// <param name="dpre">Gradient of the ReLU's pre-activation, shape <c>(batch, inputs)</c>; must not overlap <paramref name="pre"/>.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="weight">Shape <c>(outputs, inputs)</c>.</param>
    /// <param name="pre">
    /// The ReLU's pre-activation from the forward pass, shape <c>(batch, inputs)</c>, or its output in place of it: either
    /// is positive at exactly the same places.
    /// </param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    public static void BackwardInputRelu<T>(Span<T> dpre, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, ReadOnlySpan<T> pre, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(batch, inputs, outputs);
        Gemm.CheckLength(pre.Length, batch, inputs, nameof(pre), "(batch, inputs)");
        BackwardInput(dpre, dy, weight, batch, inputs, outputs, accumulate: false, reluInput: pre, nameof(dpre));
    }

    private static void BackwardInput<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, int batch, int inputs, int outputs, bool accumulate,
        ReadOnlySpan<T> reluInput = default, string dxName = "dx")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(batch, inputs, outputs);
        Gemm.CheckLength(dx.Length, batch, inputs, dxName, "(batch, inputs)");
        Gemm.CheckLength(dy.Length, batch, outputs, nameof(dy), "(batch, outputs)");
        Gemm.CheckLength(weight.Length, outputs, inputs, nameof(weight), "(outputs, inputs)");
        // dy[s,o] at s·outputs + o; with accumulate this is exactly Gemm.MultiplyAdd(dx, dy, weight, batch, inputs, outputs),
        // called through its core so that a wrong length names dx, dy or weight rather than c, a or b.
        Gemm.BroadcastCore(dx, dy, weight, batch, inputs, outputs, aRowStride: outputs, aDepthStride: 1, accumulate, reluInput: reluInput);
    }

    /// <summary>
    /// <c>dW += dyᵀ x</c> and <c>db += Σ_batch dy</c>, i.e. <c>dW[o,i] += Σ_s dy[s,o]·x[s,i]</c> and
    /// <c>db[o] += Σ_s dy[s,o]</c>. Parameter gradients accumulate, as in PyTorch.
    /// </summary>
    /// <param name="dweight">Accumulated weight gradient, shape <c>(outputs, inputs)</c>.</param>
    /// <param name="dbias">Accumulated bias gradient, shape <c>(outputs)</c>, or empty for a layer without bias.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="x">The forward input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    public static void BackwardParameters<T>(Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        => BackwardParametersCore(dweight, dbias, dy, x, batch, inputs, outputs, accumulate: true, sumSquares: false, out _, out _);

    /// <summary>
    /// <see cref="BackwardParameters{T}(Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, int)"/>, also
    /// returning the squared L2 norms of the resulting (accumulated) gradients, <c>‖dW‖² = Σ dW[o,i]²</c> and
    /// <c>‖db‖² = Σ db[o]²</c>, summed from the registers as each value is stored: no second pass over memory.
    /// </summary>
    /// <param name="dweight">Accumulated weight gradient, shape <c>(outputs, inputs)</c>.</param>
    /// <param name="dbias">Accumulated bias gradient, shape <c>(outputs)</c>, or empty for a layer without bias.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="x">The forward input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="weightGradientSquaredNorm"><c>‖dW‖²</c> after accumulation.</param>
    /// <param name="biasGradientSquaredNorm"><c>‖db‖²</c> after accumulation; 0 without bias.</param>
    /// <remarks>
    /// Squared, so that a trainer sums them across layers into the global norm <c>√(Σ ‖g‖²)</c> without another
    /// pass. Partial sums run in <typeparamref name="T"/> over at most a few registers, then in double. NaN or ∞ in
    /// a gradient makes its norm NaN or ∞; so does a finite sum of squares beyond <typeparamref name="T"/>'s range.
    /// </remarks>
    public static void BackwardParameters<T>(Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, int batch, int inputs, int outputs,
        out double weightGradientSquaredNorm, out double biasGradientSquaredNorm)
        where T : unmanaged, IFloatingPointIeee754<T>
        => BackwardParametersCore(dweight, dbias, dy, x, batch, inputs, outputs, accumulate: true, sumSquares: true, out weightGradientSquaredNorm, out biasGradientSquaredNorm);

    /// <summary>
    /// <see cref="BackwardParameters{T}(Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, int, out double, out double)"/>
    /// that, without <paramref name="accumulate"/>, overwrites the gradients instead: <c>dW = dyᵀ x</c>, <c>db = Σ_batch dy</c>.
    /// A trainer whose every dense layer writes its gradients once per step uses it to skip clearing them first.
    /// </summary>
    /// <param name="dweight">Weight gradient, shape <c>(outputs, inputs)</c>.</param>
    /// <param name="dbias">Bias gradient, shape <c>(outputs)</c>, or empty for a layer without bias.</param>
    /// <param name="dy">Gradient of the output, shape <c>(batch, outputs)</c>.</param>
    /// <param name="x">The forward input, shape <c>(batch, inputs)</c>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="accumulate">Add to the gradients (as PyTorch does) rather than overwrite them.</param>
    /// <param name="weightGradientSquaredNorm"><c>‖dW‖²</c> of the stored gradient.</param>
    /// <param name="biasGradientSquaredNorm"><c>‖db‖²</c> of the stored gradient; 0 without bias.</param>
    public static void BackwardParameters<T>(Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, int batch, int inputs, int outputs, bool accumulate,
        out double weightGradientSquaredNorm, out double biasGradientSquaredNorm)
        where T : unmanaged, IFloatingPointIeee754<T>
        => BackwardParametersCore(dweight, dbias, dy, x, batch, inputs, outputs, accumulate, sumSquares: true, out weightGradientSquaredNorm, out biasGradientSquaredNorm);

    private static void BackwardParametersCore<T>(Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, int batch, int inputs, int outputs,
        bool accumulate, bool sumSquares, out double weightSquares, out double biasSquares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.CheckShape(outputs, inputs, batch);
        Gemm.CheckLength(dweight.Length, outputs, inputs, nameof(dweight), "(outputs, inputs)");
        CheckBias(dbias.Length, outputs, nameof(dbias));
        Gemm.CheckLength(dy.Length, batch, outputs, nameof(dy), "(batch, outputs)");
        Gemm.CheckLength(x.Length, batch, inputs, nameof(x), "(batch, inputs)");
        // dy read as (batch, outputs) = Aᵀ with A = dyᵀ: a(o,s) at s·outputs + o.
        weightSquares = Gemm.BroadcastCore(dweight, dy, x, outputs, inputs, batch, aRowStride: 1, aDepthStride: outputs, accumulate, sumSquares);
        biasSquares = dbias.IsEmpty ? 0 : AccumulateColumnSums(dbias, dy, batch, outputs, accumulate, sumSquares);
    }

    /// <summary>
    /// <c>db[o] (+)= Σ_s dy[s,o]</c>, each column summed in a register (in the order db, dy[0], dy[1], …, or from 0
    /// without <paramref name="accumulate"/>) and stored once; with <paramref name="sumSquares"/> returns <c>Σ db[o]²</c>
    /// of the stored values, else 0.
    /// </summary>
    private static double AccumulateColumnSums<T>(Span<T> dbias, ReadOnlySpan<T> dy, int batch, int outputs, bool accumulate, bool sumSquares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T db = ref MemoryMarshal.GetReference(dbias);
        ref T g = ref MemoryMarshal.GetReference(dy);
        double squares = 0;
        int o = 0;
        if (Simd512<T>.IsSupported) o = AccumulateColumnSums<Simd512<T>, T>(ref db, ref g, batch, outputs, accumulate, sumSquares, ref squares, o);
        if (Simd256<T>.IsSupported) o = AccumulateColumnSums<Simd256<T>, T>(ref db, ref g, batch, outputs, accumulate, sumSquares, ref squares, o);
        if (Simd128<T>.IsSupported) o = AccumulateColumnSums<Simd128<T>, T>(ref db, ref g, batch, outputs, accumulate, sumSquares, ref squares, o);
        AccumulateColumnSums<Scalar<T>, T>(ref db, ref g, batch, outputs, accumulate, sumSquares, ref squares, o);
        return squares;
    }

    private static int AccumulateColumnSums<TSimd, T>(ref T db, ref T dy, int batch, int outputs, bool accumulate, bool sumSquares, ref double squares, int start)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TSimd sq = TSimd.Zero;
        int o = start;
        for (; o <= outputs - TSimd.Count; o += TSimd.Count)
        {
            TSimd sum = accumulate ? TSimd.Load(ref db, (nuint)o) : TSimd.Zero;
            nuint at = (nuint)o;
            for (int s = 0; s < batch; s++, at += (nuint)outputs)
                sum += TSimd.Load(ref dy, at);
            TSimd.Store(sum, ref db, (nuint)o);
            if (sumSquares)
                TSimd.MultiplyAccumulate(ref sq, sum, sum);
        }
        if (sumSquares)
            squares += double.CreateTruncating(TSimd.Sum(sq));
        return o;
    }
}
