using System;

namespace ChainRule.Training;

/// <summary>Factories for <see cref="OptimizerOptions"/>, with PyTorch's defaults and argument checks.</summary>
/// <remarks>
/// The checks are PyTorch's or stricter: every value finite (NaN and ∞ rejected), <c>lr ≥ 0</c>, <c>momentum ≥ 0</c>,
/// <c>weight_decay ≥ 0</c>, betas in <c>[0, 1)</c>, and <c>eps &gt; 0</c> (PyTorch accepts 0, which divides 0 by 0
/// for a parameter whose gradient has always been 0). Where weight decay multiplies the weights by
/// <c>1 − lr·wd</c> (AdamW's decoupled decay, and SGD's L2 term, which has the same effect), <c>lr·wd ≥ 1</c> is
/// rejected: it would zero every weight or flip its sign at each step. Adam's L2 term goes through the
/// normalization and is allowed any size. A schedule never exceeds the base learning rate, so the bound holds at
/// every step; <see cref="Optimizer{T}.LearningRate"/> enforces it too.
/// </remarks>
public static class Optimizers
{
    /// <summary>Stochastic gradient descent, as <c>torch.optim.SGD</c>.</summary>
    /// <param name="learningRate">Learning rate, ≥ 0.</param>
    /// <param name="momentum">Momentum factor, ≥ 0.</param>
    /// <param name="dampening">Dampening for momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, ≥ 0, with <c>learningRate·weightDecay &lt; 1</c>.</param>
    /// <param name="nesterov">Nesterov momentum; needs a positive momentum and zero dampening.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range, NaN or infinite.</exception>
    /// <exception cref="ArgumentException">Nesterov without momentum or with dampening.</exception>
    public static OptimizerOptions Sgd(double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    {
        CheckNonNegative(learningRate, nameof(learningRate), "learning rate");
        CheckNonNegative(momentum, nameof(momentum), "momentum value");
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight decay value");
        CheckDecayFactor(OptimizerKind.Sgd, learningRate, weightDecay, nameof(weightDecay));
        if (!double.IsFinite(dampening))
            throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "Invalid dampening value: must be finite.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(nesterov));
        return new OptimizerOptions(OptimizerKind.Sgd, learningRate, momentum, dampening, nesterov, weightDecay, beta1: 0, beta2: 0, epsilon: 0);
    }

    /// <summary>Adam, as <c>torch.optim.Adam</c> (L2 weight decay added to the gradient).</summary>
    /// <param name="learningRate">Learning rate, ≥ 0.</param>
    /// <param name="beta1">First-moment decay, in [0, 1).</param>
    /// <param name="beta2">Second-moment decay, in [0, 1).</param>
    /// <param name="epsilon">Term added to the denominator, &gt; 0.</param>
    /// <param name="weightDecay">L2 penalty, ≥ 0.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range, NaN or infinite.</exception>
    public static OptimizerOptions Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        CheckAdam(OptimizerKind.Adam, learningRate, beta1, beta2, epsilon, weightDecay);
        return new OptimizerOptions(OptimizerKind.Adam, learningRate, momentum: 0, dampening: 0, nesterov: false, weightDecay, beta1, beta2, epsilon);
    }

    /// <summary>AdamW, as <c>torch.optim.AdamW</c> (decoupled weight decay).</summary>
    /// <param name="learningRate">Learning rate, ≥ 0.</param>
    /// <param name="beta1">First-moment decay, in [0, 1).</param>
    /// <param name="beta2">Second-moment decay, in [0, 1).</param>
    /// <param name="epsilon">Term added to the denominator, &gt; 0.</param>
    /// <param name="weightDecay">Decoupled weight decay coefficient, ≥ 0, with <c>learningRate·weightDecay &lt; 1</c>.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range, NaN or infinite.</exception>
    public static OptimizerOptions AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 1e-2)
    {
        CheckAdam(OptimizerKind.AdamW, learningRate, beta1, beta2, epsilon, weightDecay);
        return new OptimizerOptions(OptimizerKind.AdamW, learningRate, momentum: 0, dampening: 0, nesterov: false, weightDecay, beta1, beta2, epsilon);
    }

    private static void CheckAdam(OptimizerKind kind, double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
    {
        CheckNonNegative(learningRate, nameof(learningRate), "learning rate");
        if (!(epsilon > 0 && double.IsFinite(epsilon)))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Invalid epsilon value: must be a finite number > 0 (0 divides 0 by 0 where a gradient has always been 0).");
        if (!(beta1 >= 0 && beta1 < 1))
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Invalid beta parameter at index 0: must lie in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1))
            throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Invalid beta parameter at index 1: must lie in [0, 1).");
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight decay value");
        CheckDecayFactor(kind, learningRate, weightDecay, nameof(weightDecay));
    }

    /// <summary>Checks a learning rate for <see cref="Optimizer{T}.LearningRate"/>: finite, ≥ 0, and <c>lr·wd &lt; 1</c> where that applies.</summary>
    internal static void CheckLearningRate(OptimizerKind kind, double learningRate, double weightDecay, string parameterName)
    {
        CheckNonNegative(learningRate, parameterName, "learning rate");
        CheckDecayFactor(kind, learningRate, weightDecay, parameterName);
    }

    // AdamW's p·(1 − lr·wd) and SGD's p − lr·wd·p: lr·wd ≥ 1 zeroes or flips every weight at each step.
    private static void CheckDecayFactor(OptimizerKind kind, double learningRate, double weightDecay, string parameterName)
    {
        if (kind != OptimizerKind.Adam && weightDecay != 0 && !(learningRate * weightDecay < 1))
            throw new ArgumentOutOfRangeException(parameterName, FormattableString.Invariant(
                $"learning rate × weight decay is {learningRate * weightDecay} (lr {learningRate}, weight decay {weightDecay}); it must be below 1, or every step multiplies the weights by 1 − lr·wd ≤ 0."));
    }

    internal static void CheckNonNegative(double value, string parameterName, string what)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(parameterName, value, $"Invalid {what}: must be a finite number ≥ 0.");
    }
}
