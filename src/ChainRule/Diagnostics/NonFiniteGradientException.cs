using System;
using System.Globalization;

namespace ChainRule.Diagnostics;

/// <summary>
/// A training step produced NaN or ∞ under <see cref="NonFinitePolicy.Throw"/>. The update was not applied: the
/// model's parameters are those from before the step.
/// </summary>
public sealed class NonFiniteGradientException : Exception
{
    /// <summary>Creates the exception for the first layer that produced a non-finite value.</summary>
    /// <param name="layer">
    /// The layer's declared name, the loss's (<c>loss (MeanSquaredError)</c>, with <see cref="Diagnostics.Pass.Loss"/>),
    /// or null when neither was identified (a trainer without a report knows only a refused update's layer).
    /// </param>
    /// <param name="pass">The pass in which it appeared, if known.</param>
    /// <param name="step">The training step.</param>
    public NonFiniteGradientException(string? layer, Pass? pass, long step)
        : base(Describe(layer, pass, step))
    {
        Layer = layer;
        Pass = pass;
        Step = step;
    }

    /// <summary>Creates the exception with a message of the caller's own.</summary>
    public NonFiniteGradientException()
        : base("A training step produced NaN or ∞; the update was not applied.")
    {
    }

    /// <summary>Creates the exception with a message of the caller's own.</summary>
    /// <param name="message">The message.</param>
    public NonFiniteGradientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message of the caller's own and the exception that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NonFiniteGradientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The first layer that produced NaN or ∞, the loss (<c>loss (Kind)</c>), or null when neither was identified.</summary>
    public string? Layer { get; }

    /// <summary>The pass in which the layer produced it, if known.</summary>
    public Pass? Pass { get; }

    /// <summary>The training step.</summary>
    public long Step { get; }

    private static string Describe(string? layer, Pass? pass, long step)
    {
        if (pass == Diagnostics.Pass.Update)
            return string.Create(CultureInfo.InvariantCulture,
                $"The update at step {step} would have made the parameters of layer '{layer}' (or their optimizer state) NaN or ∞ from finite gradients; it was not applied.");
        string where = layer is null ? "" : pass == Diagnostics.Pass.Loss ? $" in the {layer}" : $" in layer '{layer}'";
        string during = pass switch
        {
            Diagnostics.Pass.Forward => " during the forward pass",
            Diagnostics.Pass.Backward => " during the backward pass",
            _ => "",
        };
        return string.Create(CultureInfo.InvariantCulture, $"Non-finite values (NaN or ∞) first appeared{where}{during} at step {step}; the update was not applied.");
    }
}
