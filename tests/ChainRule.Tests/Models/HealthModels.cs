using System.Collections.Generic;
using ChainRule;
using ChainRule.Diagnostics;

namespace ChainRule.Tests.Models;

/// <summary>A small ReLU network whose reports the tests read, with the generated hook implemented.</summary>
[Network(Inputs = 6, Loss = Loss.SoftmaxCrossEntropy)]
public partial class Monitored
{
    [Dense(16, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
    [Dense(8, Activation.Tanh)] public partial DenseLayer<float> Hidden2 { get; }
    [LayerNorm] public partial NormLayer<float> Norm { get; }
    [Dense(3)] public partial DenseLayer<float> Logits { get; }

    /// <summary>What the hook saw: step, loss and whether the update was applied, per call.</summary>
    public List<(long Step, double Loss, bool Applied)> Seen { get; } = new();

    partial void OnGradientReport(GradientReport report) => Seen.Add((report.Step, report.Loss, report.UpdateApplied));
}
