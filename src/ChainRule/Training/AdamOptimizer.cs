using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using ChainRule.Kernels;

namespace ChainRule.Training;

/// <summary>
/// <c>torch.optim.Adam</c> and <c>torch.optim.AdamW</c> (non-AMSGrad), per element with step <c>t</c>, in torch's
/// exact arrangement:
/// <code>
/// p ← p·(1 − lr·wd)                                   (AdamW)
/// g ← g + wd·p                                        (Adam, if wd ≠ 0)
/// m ← m + (1 − β₁)·(g − m)                            (torch's lerp)
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// in one pass over memory (split across <see cref="Gemm.ThreadCount"/> threads when long); the bias corrections are
/// computed in double once per step. The pass tracks max |m| and max v in registers for the next step's proof that
/// its update is finite (<see cref="Optimizer{T}"/>); with L2 decay (Adam, wd ≠ 0) that proof also reads max |p| once.
/// </summary>
internal sealed class AdamOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _firstMoment;
    private readonly T[] _secondMoment;

    private Coefficients _coefficients; // of the step in progress
    private T _maxFirst, _maxSecond;    // max |m| and max v, as the last applied pass wrote them

    public AdamOptimizer(OptimizerOptions options, int parameterCount)
        : base(options, parameterCount)
    {
        _firstMoment = new T[parameterCount];
        _secondMoment = new T[parameterCount];
    }

    internal override IReadOnlyList<T[]> State => [_firstMoment, _secondMoment];

    internal override IReadOnlyList<string> StateNames => ["exp_avg", "exp_avg_sq"];

    // v ≥ 0, so its largest magnitude is its largest value, as the pass tracks it.
    private protected override void RecomputeStateMaxima()
    {
        _maxFirst = MaxMagnitude(_firstMoment);
        _maxSecond = MaxMagnitude(_secondMoment);
    }

    private protected override bool UsesParameterBound => Options.Kind == OptimizerKind.Adam && Options.WeightDecay != 0;

    private protected override bool Prepare(long step, double maxGradient, double maxParameter)
    {
        OptimizerOptions o = Options;
        double biasCorrection1 = 1 - Math.Pow(o.Beta1, step);
        double biasCorrection2 = 1 - Math.Pow(o.Beta2, step);
        bool decoupled = o.Kind == OptimizerKind.AdamW;
        var c = new Coefficients(
            Decay: T.CreateTruncating(1 - LearningRate * o.WeightDecay),
            WeightDecay: T.CreateTruncating(o.WeightDecay),
            OneMinusBeta1: T.CreateTruncating(1 - o.Beta1),
            Beta2: T.CreateTruncating(o.Beta2),
            OneMinusBeta2: T.CreateTruncating(1 - o.Beta2),
            SqrtBiasCorrection2: T.CreateTruncating(Math.Sqrt(biasCorrection2)),
            Epsilon: T.CreateTruncating(o.Epsilon),
            MinusStepSize: T.CreateTruncating(-LearningRate / biasCorrection1),
            DecoupledDecay: decoupled && o.WeightDecay != 0,
            L2Decay: !decoupled && o.WeightDecay != 0);
        _coefficients = c;

        // The bounds of the new values, from the coefficients as the pass will use them (rounded to T).
        double decay = double.CreateTruncating(c.Decay);
        double epsilon = double.CreateTruncating(c.Epsilon);
        double sqrtBiasCorrection2 = double.CreateTruncating(c.SqrtBiasCorrection2);
        double stepSize = -double.CreateTruncating(c.MinusStepSize);
        double gradient = maxGradient + (c.L2Decay ? o.WeightDecay * maxParameter : 0);   // |g + wd·p|
        double maxFirst = double.CreateTruncating(_maxFirst), maxSecond = double.CreateTruncating(_maxSecond);
        double first = Math.Max(maxFirst, gradient);                                       // m' lies between m and g
        double second = o.Beta2 * maxSecond + (1 - o.Beta2) * gradient * gradient;          // v'
        double quotient = first / epsilon;                                                 // |m'/(√v'/√(1 − β₂ᵗ) + ε)| ≤ |m'|/ε
        return (!c.DecoupledDecay || decay is >= 0 and <= 1) && epsilon > 0 && sqrtBiasCorrection2 > 0
            && IsSafeValue(gradient + maxFirst)                                            // g − m
            && IsSafeValue(second)
            && IsSafeValue(Math.Sqrt(second) / sqrtBiasCorrection2 + epsilon)
            && IsSafeValue(quotient)
            && IsSafeValue(stepSize)
            && IsSafeStep(stepSize * quotient);
    }

    private protected override void Commit(in PassResult<T> result)
    {
        _maxFirst = result.MaxFirst;
        _maxSecond = result.MaxSecond;
    }

    private protected override PassResult<T> UpdateRange(ref T parameters, ref T gradients, int start, int end, bool store)
        => store ? UpdateRange<StoreUpdate>(ref parameters, ref gradients, start, end) : UpdateRange<DryRunUpdate>(ref parameters, ref gradients, start, end);

    private PassResult<T> UpdateRange<TMode>(ref T parameters, ref T gradients, int start, int end)
        where TMode : struct, IUpdateMode
    {
        ref T m = ref MemoryMarshal.GetArrayDataReference(_firstMoment);
        ref T v = ref MemoryMarshal.GetArrayDataReference(_secondMoment);
        PassResult<T> result = PassResult<T>.Empty;
        int i = start;
        if (Simd512<T>.IsSupported) i = Run<Simd512<T>, TMode>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end, ref result);
        if (Simd256<T>.IsSupported) i = Run<Simd256<T>, TMode>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end, ref result);
        if (Simd128<T>.IsSupported) i = Run<Simd128<T>, TMode>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end, ref result);
        Run<Scalar<T>, TMode>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end, ref result);
        return result;
    }

    private readonly record struct Coefficients(
        T Decay, T WeightDecay, T OneMinusBeta1, T Beta2, T OneMinusBeta2, T SqrtBiasCorrection2, T Epsilon, T MinusStepSize,
        bool DecoupledDecay, bool L2Decay);

    /// <summary>
    /// Whole registers from <paramref name="start"/>; returns where it stopped (<paramref name="n"/> when a dry run
    /// found a non-finite element, recorded in <paramref name="result"/>).
    /// </summary>
    private static int Run<TSimd, TMode>(ref T parameters, ref T gradients, ref T firstMoment, ref T secondMoment, in Coefficients c, int start, int n, ref PassResult<T> result)
        where TSimd : struct, ISimd<TSimd, T>
        where TMode : struct, IUpdateMode
    {
        TSimd decay = TSimd.Broadcast(c.Decay);
        TSimd weightDecay = TSimd.Broadcast(c.WeightDecay);
        TSimd oneMinusBeta1 = TSimd.Broadcast(c.OneMinusBeta1);
        TSimd beta2 = TSimd.Broadcast(c.Beta2);
        TSimd oneMinusBeta2 = TSimd.Broadcast(c.OneMinusBeta2);
        TSimd sqrtBiasCorrection2 = TSimd.Broadcast(c.SqrtBiasCorrection2);
        TSimd epsilon = TSimd.Broadcast(c.Epsilon);
        TSimd minusStepSize = TSimd.Broadcast(c.MinusStepSize);
        TSimd maxFirst = TSimd.Zero, maxSecond = TSimd.Zero;
        int i = start;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
        {
            nuint at = (nuint)i;
            TSimd p = TSimd.Load(ref parameters, at);
            TSimd g = TSimd.Load(ref gradients, at);
            if (c.DecoupledDecay)
                p *= decay;
            if (c.L2Decay)
                g = TSimd.MultiplyAdd(weightDecay, p, g);
            TSimd m = TSimd.Load(ref firstMoment, at);
            m = TSimd.MultiplyAdd(oneMinusBeta1, g - m, m);
            TSimd v = TSimd.MultiplyAdd(beta2, TSimd.Load(ref secondMoment, at), oneMinusBeta2 * g * g);
            TSimd denominator = TSimd.Sqrt(v) / sqrtBiasCorrection2 + epsilon;
            p = TSimd.MultiplyAdd(minusStepSize, m / denominator, p);
            if (TMode.Stores)
            {
                TSimd.Store(m, ref firstMoment, at);
                TSimd.Store(v, ref secondMoment, at);
                TSimd.Store(p, ref parameters, at);
                maxFirst = TSimd.Max(maxFirst, TSimd.Abs(m));
                maxSecond = TSimd.Max(maxSecond, v);
            }
            else if (TSimd.FirstNonFiniteLane(TSimd.Max(TSimd.Abs(p), TSimd.Max(TSimd.Abs(m), v))) is int lane and >= 0)
            {
                result.FirstNonFinite = i + lane;
                return n;
            }
        }
        if (TMode.Stores)
        {
            result.MaxFirst = T.Max(result.MaxFirst, TSimd.MaxAcross(maxFirst));
            result.MaxSecond = T.Max(result.MaxSecond, TSimd.MaxAcross(maxSecond));
        }
        return i;
    }
}
