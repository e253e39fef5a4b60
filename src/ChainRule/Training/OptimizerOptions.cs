using System;
using System.Numerics;

namespace ChainRule.Training;

/// <summary>The optimization algorithms, each with PyTorch's semantics.</summary>
public enum OptimizerKind
{
    /// <summary><c>torch.optim.SGD</c>: momentum, dampening, Nesterov, L2 weight decay.</summary>
    Sgd = 0,
    /// <summary><c>torch.optim.Adam</c>: bias-corrected moments, L2 weight decay added to the gradient.</summary>
    Adam = 1,
    /// <summary><c>torch.optim.AdamW</c>: Adam with decoupled weight decay <c>p ← p·(1 − lr·wd)</c>.</summary>
    AdamW = 2,
}

/// <summary>
/// An immutable description of an optimizer and its hyperparameters; create one with <see cref="Optimizers"/>, then
/// an optimizer over a parameter buffer with <see cref="Create{T}(int)"/>. Hyperparameters are <see cref="double"/>
/// whatever the element type, as PyTorch keeps them as Python floats.
/// </summary>
public sealed class OptimizerOptions
{
    internal OptimizerOptions(OptimizerKind kind, double learningRate, double momentum, double dampening, bool nesterov, double weightDecay, double beta1, double beta2, double epsilon)
    {
        Kind = kind;
        LearningRate = learningRate;
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>The algorithm.</summary>
    public OptimizerKind Kind { get; }

    /// <summary>The initial learning rate <c>lr</c>; a schedule may change it per step on the optimizer.</summary>
    public double LearningRate { get; }

    /// <summary>SGD momentum factor <c>μ</c> (0 for plain SGD).</summary>
    public double Momentum { get; }

    /// <summary>SGD dampening <c>τ</c> applied to the gradient in the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>Whether SGD uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>Weight decay: L2 (added to the gradient) for SGD and Adam, decoupled for AdamW.</summary>
    public double WeightDecay { get; }

    /// <summary>Adam's first-moment decay <c>β₁</c>.</summary>
    public double Beta1 { get; }

    /// <summary>Adam's second-moment decay <c>β₂</c>.</summary>
    public double Beta2 { get; }

    /// <summary>Adam's <c>ε</c>, added to the bias-corrected root mean square.</summary>
    public double Epsilon { get; }

    /// <summary>Creates the optimizer for a buffer of <paramref name="parameterCount"/> parameters, allocating its state once.</summary>
    /// <typeparam name="T">The model's element type.</typeparam>
    /// <param name="parameterCount">Length of the parameter and gradient buffers it will update.</param>
    /// <returns>A new optimizer at step 0.</returns>
    public Optimizer<T> Create<T>(int parameterCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        return Kind switch
        {
            OptimizerKind.Sgd => new SgdOptimizer<T>(this, parameterCount),
            OptimizerKind.Adam or OptimizerKind.AdamW => new AdamOptimizer<T>(this, parameterCount),
            _ => throw new InvalidOperationException($"Unknown optimizer kind {Kind}."),
        };
    }

    /// <summary>A one-line description with every hyperparameter that applies.</summary>
    /// <returns>For example <c>AdamW(lr=0.001, betas=(0.9, 0.999), eps=1E-08, weight_decay=0.01)</c>.</returns>
    public override string ToString() => Kind switch
    {
        OptimizerKind.Sgd => FormattableString.Invariant($"SGD(lr={LearningRate}, momentum={Momentum}, dampening={Dampening}, weight_decay={WeightDecay}, nesterov={Nesterov})"),
        _ => FormattableString.Invariant($"{Kind}(lr={LearningRate}, betas=({Beta1}, {Beta2}), eps={Epsilon}, weight_decay={WeightDecay})"),
    };
}
