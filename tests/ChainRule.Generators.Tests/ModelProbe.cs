namespace ChainRule.Generators.Tests;

/// <summary>
/// What a test needs of a model compiled at test time: its loss and gradients under the public trainer API, and
/// access to its parameters. Adapters implementing it are generated next to the models, in the same compilation,
/// and call the models exactly as a user would.
/// </summary>
public interface IModelProbe
{
    string Name { get; }

    int ParameterCount { get; }

    /// <summary>Parameters of a first recurrent layer (its four tensors lead the buffer); 0 for other models.</summary>
    int RecurrentParameterCount { get; }

    double GetParameter(int index);

    void SetParameter(int index, double value);

    /// <summary>The batch's mean loss (the trainer's <c>Evaluate</c>).</summary>
    double Loss();

    /// <summary>The batch's mean loss, with ∂loss/∂parameters copied to <paramref name="gradients"/> (the trainer's <c>ComputeGradients</c>).</summary>
    double LossAndGradients(double[] gradients);
}
