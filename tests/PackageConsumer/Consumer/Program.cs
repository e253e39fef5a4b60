using System;
using ChainRule;
using ChainRule.Training;

// Two interleaved classes on a line: learnable only through the hidden layer, so training proves the generated
// forward, backward and update all ran from the package.
const int Samples = 64;
float[] inputs = new float[Samples * Classifier.InputSize];
int[] labels = new int[Samples];
for (int i = 0; i < Samples; i++)
{
    float x = (i - Samples / 2) / (float)(Samples / 4);
    inputs[i * Classifier.InputSize] = x;
    inputs[i * Classifier.InputSize + 1] = x * x;
    labels[i] = x * x > 1 ? 1 : 0;
}

var model = new Classifier(seed: 7);
var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = Samples, Optimizer = Optimizers.AdamW(1e-2) });
float first = trainer.Step(inputs, labels), last = first;
for (int step = 1; step < 300; step++)
    last = trainer.Step(inputs, labels);

float[] logits = new float[Samples * Classifier.OutputSize];
model.PredictBatch(inputs, logits);
int correct = 0;
for (int i = 0; i < Samples; i++)
    correct += (logits[i * 2 + 1] > logits[i * 2] ? 1 : 0) == labels[i] ? 1 : 0;

Console.WriteLine(FormattableString.Invariant($"package consumer: loss {first:F4} -> {last:F4}, accuracy {correct}/{Samples}"));
return last < first / 4 && correct >= Samples * 9 / 10 ? 0 : 1;

/// <summary>The smallest useful model, declared as a user of the package would.</summary>
[Network(Inputs = 2, Loss = Loss.SoftmaxCrossEntropy)]
public partial class Classifier
{
    /// <summary>The hidden layer.</summary>
    [Dense(16, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }

    /// <summary>One logit per class.</summary>
    [Dense(2)] public partial DenseLayer<float> Logits { get; }
}
