using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ChainRule.Kernels;

namespace ChainRule.Training;

/// <summary>
/// Updates one contiguous parameter buffer from its gradient buffer, with PyTorch's algorithms. Its state (momentum
/// buffers, moments) is allocated once at creation; <see cref="Update"/> allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// An update never makes a parameter or the optimizer's state NaN or ∞: a step that would is not applied at all.
/// Before the pass, a test on a few scalars proves the step finite — with <c>U</c> the element type's largest value and
/// <c>H</c> half its last ulp (2¹⁰³ for float, 2⁹⁷⁰ for double), <c>p·(1 − lr·wd) + Δ</c> is finite for every finite
/// <c>p</c> when <c>|Δ| &lt; H/2</c>, so it suffices to bound <c>Δ</c> and every new moment from the largest gradient
/// magnitude and the largest magnitudes of the optimizer's own state, which each update pass tracks in registers as
/// it writes them (and, with L2 weight decay only, the largest parameter magnitude, read once before the pass since
/// the parameters may have been changed by the caller).
/// </para>
/// <para>
/// Only when that test fails (an absurd learning rate or gradient) does a second pass run: a dry run of the same
/// arithmetic that stores nothing and finds the first element that would not be finite. If there is one, nothing is
/// written; otherwise the update is applied. The normal step is one pass over memory.
/// </para>
/// </remarks>
/// <typeparam name="T">The model's element type.</typeparam>
public abstract unsafe class Optimizer<T> : IRangePass
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // Generous margins: every intermediate below U/4 and every step below H/4, where H = ulp(U)/2 and the exact sum
    // p + Δ rounds to ∞ only from U + H up. The bounds are computed in double from maxima taken ×1.01.
    private static readonly T Largest = T.BitDecrement(T.PositiveInfinity);
    private static readonly double MaxIntermediate = double.CreateTruncating(Largest) / 4;
    private static readonly double MaxStep = double.CreateTruncating(Largest - T.BitDecrement(Largest)) / 8;
    private const double Slack = 1.01;

    private double _learningRate;

    // The buffers and mode of the pass in progress, pinned by RunParts while its parts run; each part's result.
    private T* _parameters, _gradients;
    private bool _store;
    private readonly PassResult<T>[] _parts = new PassResult<T>[WorkerPool.MaxThreads];

    private protected Optimizer(OptimizerOptions options, int parameterCount)
    {
        Options = options;
        ParameterCount = parameterCount;
        _learningRate = options.LearningRate;
    }

    /// <summary>The options this optimizer was created from.</summary>
    public OptimizerOptions Options { get; }

    /// <summary>Length of the parameter and gradient buffers.</summary>
    public int ParameterCount { get; }

    /// <summary>
    /// The learning rate of the next update: <see cref="OptimizerOptions.LearningRate"/> at first; in a trainer, the
    /// trainer's <see cref="TrainerOptions.Schedule"/> applied to that base rate, set before every step. Not settable
    /// from outside: a value set by hand would be overwritten by the schedule at the next step, so the rate is chosen
    /// through the options' base rate and the schedule.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Set to a negative, NaN or infinite value; or, for AdamW and SGD with weight decay, to <c>value·weightDecay ≥ 1</c>.
    /// </exception>
    public double LearningRate
    {
        get => _learningRate;
        internal set
        {
            Optimizers.CheckLearningRate(Options.Kind, value, Options.WeightDecay, nameof(value));
            _learningRate = value;
        }
    }

    /// <summary>Number of updates applied so far (PyTorch's <c>step</c>, 1 during the first update).</summary>
    public long StepCount { get; private set; }

    /// <summary>Updates whose finiteness the scalar test could not prove, so that a dry-run pass ran first (for tests).</summary>
    internal long DryRunPasses { get; private set; }

    /// <summary>The optimizer's state buffers (moments, momentum buffer), for tests that compare them bit for bit.</summary>
    internal abstract IReadOnlyList<T[]> State { get; }

    /// <summary>
    /// The name of each of <see cref="State"/>'s buffers as in PyTorch's optimizer <c>state_dict()</c> (<c>exp_avg</c>,
    /// <c>exp_avg_sq</c>, <c>momentum_buffer</c>), which names a trainer checkpoint's optimizer tensors.
    /// </summary>
    internal abstract IReadOnlyList<string> StateNames { get; }

    /// <summary>
    /// After a checkpoint's values were copied into <see cref="State"/>: sets <see cref="StepCount"/> and recomputes the
    /// maxima of the state that the next step's finiteness bound uses, as the passes that wrote that state would have
    /// left them, so a resumed run takes the same path (dry run or not) as an uninterrupted one.
    /// </summary>
    /// <param name="stepCount">The updates applied before the checkpoint.</param>
    internal void Restore(long stepCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        StepCount = stepCount;
        RecomputeStateMaxima();
    }

    /// <summary>Sets the tracked state maxima from the state buffers (see <see cref="Commit"/>).</summary>
    private protected abstract void RecomputeStateMaxima();

    /// <summary>max |x| over <paramref name="values"/>, 0 when empty: what an update pass tracks in registers.</summary>
    private protected static T MaxMagnitude(ReadOnlySpan<T> values) => values.IsEmpty ? T.Zero : T.Abs(TensorPrimitives.MaxMagnitude(values));

    /// <summary>Applies one step: <paramref name="parameters"/> ← update(<paramref name="parameters"/>, <paramref name="gradients"/>, state).</summary>
    /// <param name="parameters">The parameter buffer, updated in place.</param>
    /// <param name="gradients">The gradient of the loss with respect to each parameter.</param>
    /// <exception cref="ArgumentException">
    /// A buffer's length is not <see cref="ParameterCount"/>, or a gradient is NaN or ∞; nothing is changed.
    /// </exception>
    /// <exception cref="OverflowException">
    /// The update would make a parameter or the optimizer's state NaN or ∞ (e.g. an absurd learning rate); nothing is
    /// changed, <see cref="StepCount"/> included.
    /// </exception>
    /// <remarks>Reads the gradients once before the update pass (their largest magnitude, which is also the NaN check).</remarks>
    public void Update(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        CheckLengths(parameters.Length, gradients.Length);
        double maxGradient = gradients.IsEmpty ? 0 : Math.Abs(double.CreateTruncating(TensorPrimitives.MaxMagnitude(gradients)));
        if (!double.IsFinite(maxGradient))
        {
            int index = IndexOfNonFinite(gradients);
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"gradients[{index}] is {gradients[index]}: an update needs finite gradients. Nothing was changed."),
                nameof(gradients));
        }
        if (!TryUpdate(parameters, gradients, maxGradient, out int at))
            throw new OverflowException(string.Create(CultureInfo.InvariantCulture,
                $"At learning rate {LearningRate}, the update would make parameter {at} or its optimizer state NaN or ∞; nothing was changed."));
    }

    /// <summary>
    /// Applies the step when every new parameter and state value is finite; otherwise changes nothing and returns the
    /// first element that would not be.
    /// </summary>
    /// <param name="parameters">The parameter buffer.</param>
    /// <param name="gradients">The gradients; finite.</param>
    /// <param name="maxGradient">An upper bound on <c>max |gradients[i]|</c> (e.g. their L2 norm).</param>
    /// <param name="firstNonFinite">The first index whose parameter or state would not be finite, or −1.</param>
    /// <returns>Whether the step was applied.</returns>
    internal bool TryUpdate(Span<T> parameters, ReadOnlySpan<T> gradients, double maxGradient, out int firstNonFinite)
    {
        CheckLengths(parameters.Length, gradients.Length);
        long step = StepCount + 1;
        // L2 decay adds wd·p to the gradient, so only then does the bound need max |p|: one read-only pass.
        double maxParameter = UsesParameterBound && !parameters.IsEmpty
            ? Math.Abs(double.CreateTruncating(TensorPrimitives.MaxMagnitude<T>(parameters)))
            : 0;
        firstNonFinite = -1;
        if (!Prepare(step, maxGradient * Slack, maxParameter * Slack))
        {
            DryRunPasses++;
            firstNonFinite = RunParts(parameters, gradients, store: false).FirstNonFinite;
            if (firstNonFinite >= 0)
                return false;
        }
        Commit(RunParts(parameters, gradients, store: true));
        StepCount = step;
        return true;
    }

    /// <summary>Whether the step's bound needs the largest parameter magnitude (L2 weight decay).</summary>
    private protected abstract bool UsesParameterBound { get; }

    /// <summary>
    /// Sets the coefficients of step <paramref name="step"/> and returns whether the scalar bounds prove every new value
    /// finite, given the largest gradient and parameter magnitudes.
    /// </summary>
    private protected abstract bool Prepare(long step, double maxGradient, double maxParameter);

    /// <summary>Keeps the maxima of the state the applied pass wrote, for the next step's bound.</summary>
    private protected abstract void Commit(in PassResult<T> result);

    /// <summary>
    /// The update of elements <c>[start, end)</c> with the coefficients <see cref="Prepare"/> set: stored (tracking
    /// the new state's maxima) or, for a dry run, only checked (finding the first element that is not finite).
    /// </summary>
    private protected abstract PassResult<T> UpdateRange(ref T parameters, ref T gradients, int start, int end, bool store);

    /// <summary>Whether a bound keeps an intermediate value (a moment, a scaled gradient) far from overflow.</summary>
    private protected static bool IsSafeValue(double bound) => bound <= MaxIntermediate;

    /// <summary>Whether a bound on <c>|Δ|</c> keeps <c>p + Δ</c> finite for every finite <c>p</c>.</summary>
    private protected static bool IsSafeStep(double bound) => bound <= MaxStep;

    void IRangePass.Run(int part, int start, int end)
        => _parts[part] = UpdateRange(ref Unsafe.AsRef<T>(_parameters), ref Unsafe.AsRef<T>(_gradients), start, end, _store);

    /// <summary>
    /// Runs <see cref="UpdateRange"/> over the whole buffers, split across <see cref="Gemm.ThreadCount"/> threads when
    /// they are long (<see cref="ParallelRange"/>): every element's update is independent of the others.
    /// </summary>
    private PassResult<T> RunParts(Span<T> parameters, ReadOnlySpan<T> gradients, bool store)
    {
        int parts;
        fixed (T* p = parameters)
        fixed (T* g = gradients)
        {
            _parameters = p;
            _gradients = g;
            _store = store;
            parts = ParallelRange.Run(this, parameters.Length);
            _parameters = null;
            _gradients = null;
        }
        PassResult<T> result = _parts[0];
        for (int part = 1; part < parts; part++)
        {
            PassResult<T> next = _parts[part];
            result.MaxFirst = T.Max(result.MaxFirst, next.MaxFirst);
            result.MaxSecond = T.Max(result.MaxSecond, next.MaxSecond);
            if (result.FirstNonFinite < 0)
                result.FirstNonFinite = next.FirstNonFinite;
        }
        return result;
    }

    private void CheckLengths(int parameters, int gradients)
    {
        if (parameters != ParameterCount) Guard.Length(parameters, ParameterCount, $"({ParameterCount})", nameof(parameters));
        if (gradients != ParameterCount) Guard.Length(gradients, ParameterCount, $"({ParameterCount})", nameof(gradients));
    }

    private static int IndexOfNonFinite(ReadOnlySpan<T> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
                return i;
        }
        return -1;
    }
}

/// <summary>What one part of an update pass found: the new state's largest magnitudes, or a dry run's first non-finite element.</summary>
internal struct PassResult<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Largest magnitude of the first state buffer written (Adam's m, SGD's momentum buffer).</summary>
    public T MaxFirst;

    /// <summary>Largest value of the second state buffer written (Adam's v).</summary>
    public T MaxSecond;

    /// <summary>A dry run's first element whose new parameter or state is NaN or ∞; −1 for none.</summary>
    public int FirstNonFinite;

    public static PassResult<T> Empty => new() { FirstNonFinite = -1 };
}

/// <summary>Whether an update pass stores its results or only checks them: one loop for both, specialized by the JIT.</summary>
internal interface IUpdateMode
{
    static abstract bool Stores { get; }
}

/// <summary>The update pass proper.</summary>
internal readonly struct StoreUpdate : IUpdateMode
{
    public static bool Stores => true;
}

/// <summary>The dry run of the rare step whose finiteness the scalar test could not prove.</summary>
internal readonly struct DryRunUpdate : IUpdateMode
{
    public static bool Stores => false;
}
