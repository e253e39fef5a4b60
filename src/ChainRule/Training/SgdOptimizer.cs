using System;
using System.Numerics;
using System.Runtime.InteropServices;
using ChainRule.Kernels;

namespace ChainRule.Training;

/// <summary>
/// <c>torch.optim.SGD</c>, per element with step <c>t</c>:
/// <code>
/// g ← g + wd·p                                   (if wd ≠ 0)
/// b ← g            if t = 1,  else  μ·b + (1 − τ)·g   (if μ ≠ 0)
/// g ← g + μ·b  (Nesterov)   or   b                    (if μ ≠ 0)
/// p ← p − lr·g
/// </code>
/// in one pass over memory, split across <see cref="Gemm.ThreadCount"/> threads when long.
/// </summary>
internal sealed class SgdOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _momentumBuffer;

    private Coefficients _coefficients; // of the step in progress

    public SgdOptimizer(OptimizerOptions options, int parameterCount)
        : base(options, parameterCount)
    {
        _momentumBuffer = options.Momentum != 0 ? new T[parameterCount] : [];
    }

    internal override ReadOnlySpan<T> StateForTests(int buffer) => _momentumBuffer;

    internal override int StateBuffersForTests => 1;

    public override void Update(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        long step = BeginStep(parameters.Length, gradients.Length);
        OptimizerOptions o = Options;
        // Step 1 initializes the buffer to the gradient itself: b = 0·b + 1·g.
        var coefficients = new Coefficients(
            LearningRate: T.CreateTruncating(LearningRate),
            WeightDecay: T.CreateTruncating(o.WeightDecay),
            Momentum: T.CreateTruncating(o.Momentum),
            BufferDecay: step == 1 ? T.Zero : T.CreateTruncating(o.Momentum),
            GradientScale: step == 1 ? T.One : T.CreateTruncating(1 - o.Dampening),
            UsesWeightDecay: o.WeightDecay != 0,
            UsesMomentum: o.Momentum != 0,
            Nesterov: o.Nesterov);

        _coefficients = coefficients;
        UpdateInParts(parameters, gradients);
    }

    private protected override void UpdateRange(ref T parameters, ref T gradients, int start, int end)
    {
        ref T b = ref MemoryMarshal.GetArrayDataReference(_momentumBuffer);
        int i = start;
        if (Simd512<T>.IsSupported) i = Run<Simd512<T>>(ref parameters, ref gradients, ref b, _coefficients, i, end);
        if (Simd256<T>.IsSupported) i = Run<Simd256<T>>(ref parameters, ref gradients, ref b, _coefficients, i, end);
        if (Simd128<T>.IsSupported) i = Run<Simd128<T>>(ref parameters, ref gradients, ref b, _coefficients, i, end);
        Run<Scalar<T>>(ref parameters, ref gradients, ref b, _coefficients, i, end);
    }

    private readonly record struct Coefficients(T LearningRate, T WeightDecay, T Momentum, T BufferDecay, T GradientScale, bool UsesWeightDecay, bool UsesMomentum, bool Nesterov);

    private static int Run<TSimd>(ref T parameters, ref T gradients, ref T buffer, in Coefficients c, int start, int n)
        where TSimd : struct, ISimd<TSimd, T>
    {
        TSimd minusLearningRate = TSimd.Broadcast(-c.LearningRate);
        TSimd weightDecay = TSimd.Broadcast(c.WeightDecay);
        TSimd momentum = TSimd.Broadcast(c.Momentum);
        TSimd bufferDecay = TSimd.Broadcast(c.BufferDecay);
        TSimd gradientScale = TSimd.Broadcast(c.GradientScale);
        int i = start;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
        {
            nuint at = (nuint)i;
            TSimd p = TSimd.Load(ref parameters, at);
            TSimd g = TSimd.Load(ref gradients, at);
            if (c.UsesWeightDecay)
                g = TSimd.MultiplyAdd(weightDecay, p, g);
            if (c.UsesMomentum)
            {
                TSimd b = TSimd.MultiplyAdd(bufferDecay, TSimd.Load(ref buffer, at), gradientScale * g);
                TSimd.Store(b, ref buffer, at);
                g = c.Nesterov ? TSimd.MultiplyAdd(momentum, b, g) : b;
            }
            TSimd.Store(TSimd.MultiplyAdd(minusLearningRate, g, p), ref parameters, at);
        }
        return i;
    }
}
