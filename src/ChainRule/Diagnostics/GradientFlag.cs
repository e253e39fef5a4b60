using System;

namespace ChainRule.Diagnostics;

/// <summary>What a <see cref="GradientReport"/> found wrong with a layer in one step.</summary>
[Flags]
public enum GradientFlag
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>The weight-gradient norm is below <see cref="HealthThresholds.Vanishing"/>.</summary>
    Vanishing = 1,
    /// <summary>The weight-gradient norm is above <see cref="HealthThresholds.Exploding"/>.</summary>
    Exploding = 2,
    /// <summary>More than <see cref="HealthThresholds.DeadFraction"/> of the layer's activation outputs are dead.</summary>
    DeadUnits = 4,
    /// <summary>The layer produced NaN or ∞, in the forward or the backward pass.</summary>
    NonFinite = 8,

    /// <summary>
    /// A recurrent layer's <c>‖∂L/∂h_t‖</c> differs between its last step and its first by more than
    /// <see cref="HealthThresholds.FlowRatio"/>× (<see cref="GradientReport.TimeFlowRatio"/>): the gradient vanishes or
    /// explodes through time, as it does through depth in a deep plain network.
    /// </summary>
    TimeFlow = 16,
}

/// <summary>A pass of a training step.</summary>
public enum Pass
{
    /// <summary>The forward pass (activations and loss).</summary>
    Forward = 0,
    /// <summary>The backward pass (gradients).</summary>
    Backward = 1,
    /// <summary>The loss, computed from finite outputs of the forward pass (e.g. a squared error that overflows).</summary>
    Loss = 2,
    /// <summary>
    /// The optimizer's update, from finite gradients: it would have made a parameter or the optimizer's state NaN or
    /// ∞ (e.g. an absurd learning rate), so nothing was written.
    /// </summary>
    Update = 3,
}

/// <summary>What a trainer does when a step produces NaN or ∞. Either way the update is not applied, so the weights stay as they were.</summary>
public enum NonFinitePolicy
{
    /// <summary>Skip the update and carry on; the report names the layer (<see cref="GradientReport.FirstNonFiniteLayer"/>).</summary>
    SkipStep = 0,
    /// <summary>Skip the update and throw <see cref="NonFiniteGradientException"/>.</summary>
    Throw = 1,
}
