using System;
using System.Collections.Generic;
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
/// in one pass over memory, split across <see cref="Gemm.ThreadCount"/> threads when long. The pass tracks max |b| in
/// registers for the next step's proof that its update is finite (<see cref="Optimizer{T}"/>); with weight decay that
/// proof also reads max |p| once.
/// </summary>
internal sealed class SgdOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _momentumBuffer;

    private Coefficients _coefficients; // of the step in progress
    private T _maxBuffer;               // max |b|, as the last applied pass wrote it

    public SgdOptimizer(OptimizerOptions options, int parameterCount)
        : base(options, parameterCount)
    {
        _momentumBuffer = options.Momentum != 0 ? new T[parameterCount] : [];
    }

    internal override IReadOnlyList<T[]> State => [_momentumBuffer];

    internal override IReadOnlyList<string> StateNames => ["momentum_buffer"];

    private protected override void RecomputeStateMaxima() => _maxBuffer = MaxMagnitude(_momentumBuffer);

    private protected override bool UsesParameterBound => Options.WeightDecay != 0;

    private protected override bool Prepare(long step, double maxGradient, double maxParameter)
    {
        OptimizerOptions o = Options;
        // Step 1 initializes the buffer to the gradient itself: b = 0·b + 1·g.
        var c = new Coefficients(
            LearningRate: T.CreateTruncating(LearningRate),
            WeightDecay: T.CreateTruncating(o.WeightDecay),
            Momentum: T.CreateTruncating(o.Momentum),
            BufferDecay: step == 1 ? T.Zero : T.CreateTruncating(o.Momentum),
            GradientScale: step == 1 ? T.One : T.CreateTruncating(1 - o.Dampening),
            UsesWeightDecay: o.WeightDecay != 0,
            UsesMomentum: o.Momentum != 0,
            Nesterov: o.Nesterov);
        _coefficients = c;

        // The bounds of the new values, from the coefficients as the pass will use them (rounded to T).
        double gradient = maxGradient + (c.UsesWeightDecay ? o.WeightDecay * maxParameter : 0);   // |g + wd·p|
        double direction = gradient;
        bool bounded = IsSafeValue(gradient);
        if (c.UsesMomentum)
        {
            double scaled = Math.Abs(double.CreateTruncating(c.GradientScale)) * gradient;          // (1 − τ)·g; τ may be any finite value
            double buffer = Math.Abs(double.CreateTruncating(c.BufferDecay)) * double.CreateTruncating(_maxBuffer) + scaled;
            double momentum = double.CreateTruncating(c.Momentum) * buffer;
            bounded = bounded && IsSafeValue(scaled) && IsSafeValue(buffer) && IsSafeValue(momentum);
            direction = c.Nesterov ? gradient + momentum : buffer;
        }
        double learningRate = double.CreateTruncating(c.LearningRate);
        return bounded && IsSafeValue(direction) && IsSafeValue(learningRate) && IsSafeStep(learningRate * direction);
    }

    private protected override void Commit(in PassResult<T> result) => _maxBuffer = result.MaxFirst;

    private protected override PassResult<T> UpdateRange(ref T parameters, ref T gradients, int start, int end, bool store)
        => store ? UpdateRange<StoreUpdate>(ref parameters, ref gradients, start, end) : UpdateRange<DryRunUpdate>(ref parameters, ref gradients, start, end);

    private PassResult<T> UpdateRange<TMode>(ref T parameters, ref T gradients, int start, int end)
        where TMode : struct, IUpdateMode
    {
        ref T b = ref MemoryMarshal.GetArrayDataReference(_momentumBuffer);
        PassResult<T> result = PassResult<T>.Empty;
        int i = start;
        if (Simd512<T>.IsSupported) i = Run<Simd512<T>, TMode>(ref parameters, ref gradients, ref b, _coefficients, i, end, ref result);
        if (Simd256<T>.IsSupported) i = Run<Simd256<T>, TMode>(ref parameters, ref gradients, ref b, _coefficients, i, end, ref result);
        if (Simd128<T>.IsSupported) i = Run<Simd128<T>, TMode>(ref parameters, ref gradients, ref b, _coefficients, i, end, ref result);
        Run<Scalar<T>, TMode>(ref parameters, ref gradients, ref b, _coefficients, i, end, ref result);
        return result;
    }

    private readonly record struct Coefficients(T LearningRate, T WeightDecay, T Momentum, T BufferDecay, T GradientScale, bool UsesWeightDecay, bool UsesMomentum, bool Nesterov);

    /// <summary>
    /// Whole registers from <paramref name="start"/>; returns where it stopped (<paramref name="n"/> when a dry run
    /// found a non-finite element, recorded in <paramref name="result"/>).
    /// </summary>
    private static int Run<TSimd, TMode>(ref T parameters, ref T gradients, ref T buffer, in Coefficients c, int start, int n, ref PassResult<T> result)
        where TSimd : struct, ISimd<TSimd, T>
        where TMode : struct, IUpdateMode
    {
        TSimd minusLearningRate = TSimd.Broadcast(-c.LearningRate);
        TSimd weightDecay = TSimd.Broadcast(c.WeightDecay);
        TSimd momentum = TSimd.Broadcast(c.Momentum);
        TSimd bufferDecay = TSimd.Broadcast(c.BufferDecay);
        TSimd gradientScale = TSimd.Broadcast(c.GradientScale);
        TSimd maxBuffer = TSimd.Zero;
        int i = start;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
        {
            nuint at = (nuint)i;
            TSimd p = TSimd.Load(ref parameters, at);
            TSimd g = TSimd.Load(ref gradients, at);
            TSimd b = TSimd.Zero;
            if (c.UsesWeightDecay)
                g = TSimd.MultiplyAdd(weightDecay, p, g);
            if (c.UsesMomentum)
            {
                b = TSimd.MultiplyAdd(bufferDecay, TSimd.Load(ref buffer, at), gradientScale * g);
                g = c.Nesterov ? TSimd.MultiplyAdd(momentum, b, g) : b;
            }
            p = TSimd.MultiplyAdd(minusLearningRate, g, p);
            if (TMode.Stores)
            {
                if (c.UsesMomentum)
                {
                    TSimd.Store(b, ref buffer, at);
                    maxBuffer = TSimd.Max(maxBuffer, TSimd.Abs(b));
                }
                TSimd.Store(p, ref parameters, at);
            }
            else if (TSimd.FirstNonFiniteLane(TSimd.Max(TSimd.Abs(p), TSimd.Abs(b))) is int lane and >= 0)
            {
                result.FirstNonFinite = i + lane;
                return n;
            }
        }
        if (TMode.Stores)
            result.MaxFirst = T.Max(result.MaxFirst, TSimd.MaxAcross(maxBuffer));
        return i;
    }
}
