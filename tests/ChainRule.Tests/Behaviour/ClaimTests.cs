using System;
using System.Linq;
using ChainRule;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Behaviour;

/// <summary>ε = 0.5, large enough that ε = 1e-5 in its place changes every output in the first digits.</summary>
[Network(Inputs = 5, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class LayerNormEpsilonModel
{
    [LayerNorm(Epsilon = 0.5)] public partial NormLayer<double> Norm { get; }
    [Dense(5)] public partial DenseLayer<double> Output { get; }
}

[Network(Inputs = 5, Loss = Loss.MeanSquaredError, Precision = Precision.Double)]
public partial class RmsNormEpsilonModel
{
    [RMSNorm(Epsilon = 0.5)] public partial NormLayer<double> Norm { get; }
    [Dense(5)] public partial DenseLayer<double> Output { get; }
}

/// <summary>Two layers, and the same two with a third between them: their initial weights must be the same.</summary>
[Network(Inputs = 16, Loss = Loss.MeanSquaredError)]
public partial class TwoLayers
{
    [Dense(32, Activation.ReLU)] public partial DenseLayer<float> First { get; }
    [Dense(4)] public partial DenseLayer<float> Last { get; }
}

[Network(Inputs = 16, Loss = Loss.MeanSquaredError)]
public partial class TwoLayersAndOneMore
{
    [Dense(32, Activation.ReLU)] public partial DenseLayer<float> First { get; }
    [Dense(4)] public partial DenseLayer<float> Last { get; }
    [Dense(4, Activation.Tanh)] public partial DenseLayer<float> Added { get; }
}

/// <summary>20 ReLU layers with the default He init: the gradient-flow sample's middle network.</summary>
[Network(Inputs = 32, Loss = Loss.SoftmaxCrossEntropy)]
public partial class Relu20
{
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L0 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L1 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L2 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L3 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L4 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L5 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L6 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L7 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L8 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L9 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L10 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L11 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L12 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L13 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L14 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L15 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L16 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L17 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L18 { get; }
    [Dense(64, Activation.ReLU)] public partial DenseLayer<float> L19 { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>Documented claims that had no test of their own (issue 18).</summary>
public class ClaimTests
{
    private static double[] Identity(int n) => Enumerable.Range(0, n * n).Select(i => i / n == i % n ? 1.0 : 0.0).ToArray();

    [Fact]
    public void A_norms_epsilon_override_is_the_epsilon_it_computes_with()
    {
        double[] x = [0.3, -0.1, 0.2, 0.05, -0.4]; // variance ≈ 0.06: ε = 0.5 dominates it
        double mean = x.Average(), variance = x.Select(v => (v - mean) * (v - mean)).Average(), meanSquare = x.Select(v => v * v).Average();

        var layerNorm = new LayerNormEpsilonModel(1);
        Identity(5).CopyTo(layerNorm.Output.Weights);
        var y = new double[5];
        layerNorm.Predict(x, y);
        NumericAssert.Close<double>(x.Select(v => (v - mean) / Math.Sqrt(variance + 0.5)).ToArray(), y, 1e-14, 1e-12, "LayerNorm(Epsilon = 0.5)");

        var rmsNorm = new RmsNormEpsilonModel(1);
        Identity(5).CopyTo(rmsNorm.Output.Weights);
        rmsNorm.Predict(x, y);
        NumericAssert.Close<double>(x.Select(v => v / Math.Sqrt(meanSquare + 0.5)).ToArray(), y, 1e-14, 1e-12, "RMSNorm(Epsilon = 0.5)");
    }

    [Fact]
    public void Adding_a_layer_leaves_the_other_layers_initial_weights_alone()
    {
        var two = new TwoLayers(42);
        var three = new TwoLayersAndOneMore(42);
        Assert.Equal(two.First.Weights.ToArray(), three.First.Weights.ToArray());
        Assert.Equal(two.Last.Weights.ToArray(), three.Last.Weights.ToArray());
        Assert.NotEqual(two.First.Weights.ToArray(), new TwoLayers(43).First.Weights.ToArray()); // the seed matters
    }

    [Fact]
    public void Relu_with_he_init_keeps_the_gradient_within_the_flow_ratio_at_depth_20()
    {
        var model = new Relu20(7);
        const int batch = 32;
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = batch });
        float[] inputs = Reference.RandomFloats(8, batch * 32);
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 10).ToArray();
        trainer.Step(inputs, labels);
        var report = trainer.LastReport!;
        Assert.False(report.HasFlowProblem, report.ToString());
        Assert.True(report.MaxMinRatio < report.Thresholds.FlowRatio, report.ToString());
        Assert.Equal(ChainRule.Diagnostics.GradientFlag.None, report.Flags);
    }

    [Fact]
    public void Batch_one_training_lowers_the_loss_on_its_sample()
    {
        var model = new WideRegressor(9);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 1, Optimizer = Optimizers.Sgd(0.01) });
        float[] input = Reference.RandomFloats(10, 64), target = Reference.RandomFloats(11, 8);
        float first = trainer.Evaluate(input, target);
        for (int i = 0; i < 20; i++)
            trainer.Step(input, target);
        float last = trainer.Evaluate(input, target);
        Assert.True(last < 0.5f * first, $"loss {first} → {last} after 20 batch-1 steps");
        Assert.Equal(20, trainer.Optimizer.StepCount);
    }
}
