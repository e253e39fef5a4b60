using System;

namespace ChainRule.Training;

/// <summary>Factories for <see cref="OptimizerOptions"/>, with PyTorch's defaults and argument checks.</summary>
public static class Optimizers
{
    /// <summary>Stochastic gradient descent, as <c>torch.optim.SGD</c>.</summary>
    /// <param name="learningRate">Learning rate, ≥ 0.</param>
    /// <param name="momentum">Momentum factor, ≥ 0.</param>
    /// <param name="dampening">Dampening for momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, ≥ 0.</param>
    /// <param name="nesterov">Nesterov momentum; needs a positive momentum and zero dampening.</param>
    /// <returns>The options.</returns>
    public static OptimizerOptions Sgd(double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    {
        CheckNonNegative(learningRate, nameof(learningRate), "learning rate");
        CheckNonNegative(momentum, nameof(momentum), "momentum value");
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight decay value");
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
    /// <param name="epsilon">Term added to the denominator, ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty, ≥ 0.</param>
    /// <returns>The options.</returns>
    public static OptimizerOptions Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        CheckAdam(learningRate, beta1, beta2, epsilon, weightDecay);
        return new OptimizerOptions(OptimizerKind.Adam, learningRate, momentum: 0, dampening: 0, nesterov: false, weightDecay, beta1, beta2, epsilon);
    }

    /// <summary>AdamW, as <c>torch.optim.AdamW</c> (decoupled weight decay).</summary>
    /// <param name="learningRate">Learning rate, ≥ 0.</param>
    /// <param name="beta1">First-moment decay, in [0, 1).</param>
    /// <param name="beta2">Second-moment decay, in [0, 1).</param>
    /// <param name="epsilon">Term added to the denominator, ≥ 0.</param>
    /// <param name="weightDecay">Decoupled weight decay coefficient, ≥ 0.</param>
    /// <returns>The options.</returns>
    public static OptimizerOptions AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 1e-2)
    {
        CheckAdam(learningRate, beta1, beta2, epsilon, weightDecay);
        return new OptimizerOptions(OptimizerKind.AdamW, learningRate, momentum: 0, dampening: 0, nesterov: false, weightDecay, beta1, beta2, epsilon);
    }

    private static void CheckAdam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
    {
        CheckNonNegative(learningRate, nameof(learningRate), "learning rate");
        CheckNonNegative(epsilon, nameof(epsilon), "epsilon value");
        if (!(beta1 >= 0 && beta1 < 1))
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Invalid beta parameter at index 0: must lie in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1))
            throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Invalid beta parameter at index 1: must lie in [0, 1).");
        CheckNonNegative(weightDecay, nameof(weightDecay), "weight decay value");
    }

    internal static void CheckNonNegative(double value, string parameterName, string what)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(parameterName, value, $"Invalid {what}: must be a finite number ≥ 0.");
    }
}
