using System;
using System.Globalization;

namespace ChainRule.Training;

/// <summary>
/// A learning-rate schedule: the learning rate of each update as a function of the number of updates completed
/// before it. Create one with <see cref="Schedules"/>; a trainer sets <see cref="Optimizer{T}.LearningRate"/> from it
/// before every update.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Creates a schedule.</summary>
    protected LearningRateSchedule()
    {
    }

    /// <summary>The learning rate for the update that follows <paramref name="step"/> completed updates.</summary>
    /// <param name="step">Updates completed so far, from 0 (PyTorch's <c>last_epoch</c> after that many <c>scheduler.step()</c> calls).</param>
    /// <param name="baseLearningRate">The optimizer's configured learning rate, ≥ 0.</param>
    /// <returns>The learning rate, in <c>[0, baseLearningRate]</c> (a trainer rejects a larger one before changing anything).</returns>
    public abstract double LearningRate(long step, double baseLearningRate);

    /// <summary>The lowest learning rate the schedule decays to (0 unless it has a floor); checked against the base rate.</summary>
    internal virtual double MinimumLearningRate => 0;
}

/// <summary>
/// Factories for <see cref="LearningRateSchedule"/>: linear warmup from 0 over <c>W</c> steps, then constant, linear
/// or cosine decay to a floor, with Hugging Face's <c>get_*_schedule_with_warmup</c> semantics (step 0 uses lr 0).
/// </summary>
/// <remarks>
/// With <c>b</c> the base rate, <c>m</c> the floor and <c>T</c> the total steps: for <c>step &lt; W</c>,
/// <c>lr = b·step/W</c>; then <c>p = clamp((step − W)/(T − W), 0, 1)</c> (1 from step <c>T</c> on) and linear decay
/// gives <c>m + (b − m)(1 − p)</c>, cosine <c>m + (b − m)·½(1 + cos πp)</c>. <c>W = 0</c> means no warmup. The one
/// departure from Hugging Face: its <c>max(1, T − W)</c> denominator keeps the base rate for one step when
/// <c>T = W</c>; here step <c>T</c> is always at the floor, and the rate stays there beyond <c>T</c>.
/// </remarks>
public static class Schedules
{
    private static readonly LearningRateSchedule ConstantSchedule = new WarmupSchedule(WarmupSchedule.Decay.None, 0, 0, 0);

    /// <summary>The base learning rate at every step (PyTorch without a scheduler): the default.</summary>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Constant() => ConstantSchedule;

    /// <summary>Linear warmup from 0 over <paramref name="warmupSteps"/> steps, then the base rate (<c>get_constant_schedule_with_warmup</c>).</summary>
    /// <param name="warmupSteps">Steps of warmup <c>W</c>, ≥ 0.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule Warmup(int warmupSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        return new WarmupSchedule(WarmupSchedule.Decay.None, warmupSteps, 0, 0);
    }

    /// <summary>Linear warmup, then linear decay to <paramref name="minLearningRate"/> at <paramref name="totalSteps"/> (<c>get_linear_schedule_with_warmup</c> with a floor).</summary>
    /// <param name="warmupSteps">Steps of warmup <c>W</c>, in <c>[0, totalSteps]</c>.</param>
    /// <param name="totalSteps">The step <c>T</c> at which the floor is reached, ≥ 1.</param>
    /// <param name="minLearningRate">The floor <c>m</c>, finite, ≥ 0 and at most the optimizer's learning rate.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule WarmupLinear(int warmupSteps, int totalSteps, double minLearningRate = 0)
    {
        Check(warmupSteps, totalSteps, minLearningRate);
        return new WarmupSchedule(WarmupSchedule.Decay.Linear, warmupSteps, totalSteps, minLearningRate);
    }

    /// <summary>Linear warmup, then half a cosine down to <paramref name="minLearningRate"/> at <paramref name="totalSteps"/> (<c>get_cosine_schedule_with_warmup</c> with a floor).</summary>
    /// <param name="warmupSteps">Steps of warmup <c>W</c>, in <c>[0, totalSteps]</c>.</param>
    /// <param name="totalSteps">The step <c>T</c> at which the floor is reached, ≥ 1.</param>
    /// <param name="minLearningRate">The floor <c>m</c>, finite, ≥ 0 and at most the optimizer's learning rate.</param>
    /// <returns>The schedule.</returns>
    public static LearningRateSchedule WarmupCosine(int warmupSteps, int totalSteps, double minLearningRate = 0)
    {
        Check(warmupSteps, totalSteps, minLearningRate);
        return new WarmupSchedule(WarmupSchedule.Decay.Cosine, warmupSteps, totalSteps, minLearningRate);
    }

    private static void Check(int warmupSteps, int totalSteps, double minLearningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        if (warmupSteps > totalSteps)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"Warmup ({warmupSteps} steps) must not exceed totalSteps ({totalSteps}).");
        Optimizers.CheckNonNegative(minLearningRate, nameof(minLearningRate), "minimum learning rate");
    }

    private sealed class WarmupSchedule(WarmupSchedule.Decay decay, int warmupSteps, int totalSteps, double minLearningRate) : LearningRateSchedule
    {
        public enum Decay { None, Linear, Cosine }

        internal override double MinimumLearningRate => minLearningRate;

        public override double LearningRate(long step, double baseLearningRate)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(step);
            Optimizers.CheckNonNegative(baseLearningRate, nameof(baseLearningRate), "learning rate");
            if (step < warmupSteps)
                return baseLearningRate * step / warmupSteps;
            if (decay == Decay.None)
                return baseLearningRate;
            double progress = step >= totalSteps ? 1 : (double)(step - warmupSteps) / (totalSteps - warmupSteps);
            double factor = decay == Decay.Linear ? 1 - progress : 0.5 * (1 + Math.Cos(Math.PI * progress));
            // m + (b − m)·1 may round one ulp above b; the rate never exceeds the base, which lr·wd < 1 relies on.
            return Math.Min(minLearningRate + (baseLearningRate - minLearningRate) * factor, baseLearningRate);
        }

        public override string ToString() => decay switch
        {
            Decay.None when warmupSteps == 0 => "Constant",
            Decay.None => string.Create(CultureInfo.InvariantCulture, $"Warmup(warmup={warmupSteps})"),
            _ => string.Create(CultureInfo.InvariantCulture, $"Warmup{decay}(warmup={warmupSteps}, total={totalSteps}, min={minLearningRate})"),
        };
    }
}
