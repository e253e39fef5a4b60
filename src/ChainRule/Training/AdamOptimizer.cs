using System;
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
/// computed in double once per step.
/// </summary>
internal sealed class AdamOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _firstMoment;
    private readonly T[] _secondMoment;

    private Coefficients _coefficients; // of the step in progress

    public AdamOptimizer(OptimizerOptions options, int parameterCount)
        : base(options, parameterCount)
    {
        _firstMoment = new T[parameterCount];
        _secondMoment = new T[parameterCount];
    }

    internal override ReadOnlySpan<T> StateForTests(int buffer) => buffer == 0 ? _firstMoment : _secondMoment;

    internal override int StateBuffersForTests => 2;

    public override void Update(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        long step = BeginStep(parameters.Length, gradients.Length);
        OptimizerOptions o = Options;
        double biasCorrection1 = 1 - Math.Pow(o.Beta1, step);
        double biasCorrection2 = 1 - Math.Pow(o.Beta2, step);
        bool decoupled = o.Kind == OptimizerKind.AdamW;
        var coefficients = new Coefficients(
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

        _coefficients = coefficients;
        UpdateInParts(parameters, gradients);
    }

    private protected override void UpdateRange(ref T parameters, ref T gradients, int start, int end)
    {
        ref T m = ref MemoryMarshal.GetArrayDataReference(_firstMoment);
        ref T v = ref MemoryMarshal.GetArrayDataReference(_secondMoment);
        int i = start;
        if (Simd512<T>.IsSupported) i = Run<Simd512<T>>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end);
        if (Simd256<T>.IsSupported) i = Run<Simd256<T>>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end);
        if (Simd128<T>.IsSupported) i = Run<Simd128<T>>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end);
        Run<Scalar<T>>(ref parameters, ref gradients, ref m, ref v, _coefficients, i, end);
    }

    private readonly record struct Coefficients(
        T Decay, T WeightDecay, T OneMinusBeta1, T Beta2, T OneMinusBeta2, T SqrtBiasCorrection2, T Epsilon, T MinusStepSize,
        bool DecoupledDecay, bool L2Decay);

    private static int Run<TSimd>(ref T parameters, ref T gradients, ref T firstMoment, ref T secondMoment, in Coefficients c, int start, int n)
        where TSimd : struct, ISimd<TSimd, T>
    {
        TSimd decay = TSimd.Broadcast(c.Decay);
        TSimd weightDecay = TSimd.Broadcast(c.WeightDecay);
        TSimd oneMinusBeta1 = TSimd.Broadcast(c.OneMinusBeta1);
        TSimd beta2 = TSimd.Broadcast(c.Beta2);
        TSimd oneMinusBeta2 = TSimd.Broadcast(c.OneMinusBeta2);
        TSimd sqrtBiasCorrection2 = TSimd.Broadcast(c.SqrtBiasCorrection2);
        TSimd epsilon = TSimd.Broadcast(c.Epsilon);
        TSimd minusStepSize = TSimd.Broadcast(c.MinusStepSize);
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
            TSimd.Store(m, ref firstMoment, at);
            TSimd.Store(v, ref secondMoment, at);
            TSimd denominator = TSimd.Sqrt(v) / sqrtBiasCorrection2 + epsilon;
            TSimd.Store(TSimd.MultiplyAdd(minusStepSize, m / denominator, p), ref parameters, at);
        }
        return i;
    }
}
