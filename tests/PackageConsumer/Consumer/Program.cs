using System;
using ChainRule;
using ChainRule.Data;
using ChainRule.Evaluation;
using ChainRule.Training;

// Two classes on a line, inner and outer: learnable only through the hidden layer, so a high accuracy proves that
// the generated forward, backward and update all ran from the package, together with its data and metric helpers.
const int Samples = 256;
float[] inputs = new float[Samples * Classifier.InputSize];
int[] labels = new int[Samples];
for (int i = 0; i < Samples; i++)
{
    float x = (i - Samples / 2) / (float)(Samples / 4);
    inputs[i * Classifier.InputSize] = x;
    inputs[i * Classifier.InputSize + 1] = x * x;
    labels[i] = x * x > 1 ? 1 : 0;
}

Console.WriteLine(Classifier.Description);
Console.WriteLine(Classifier.Summary);

var model = new Classifier(seed: 7);
var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 32, Optimizer = Optimizers.AdamW(1e-2) });
var batches = new MiniBatcher<float, int>(inputs, Classifier.InputSize, labels, targetWidth: 1, batchSize: 32, seed: 7);
var logits = new float[Samples * Classifier.OutputSize];
var meter = new EpochMeter(epochs: 30);
EpochProgress first = default, last = default;
for (int epoch = 0; epoch < meter.Epochs; epoch++)
{
    batches.Shuffle(epoch);
    meter.Start();
    while (batches.MoveNext())
        meter.Add(trainer.Step(batches.Inputs, batches.Targets), batches.Rows);
    model.PredictBatch(inputs, logits);
    last = meter.Finish(Metrics.Accuracy<float>(logits, labels, Classifier.OutputSize));
    if (epoch == 0)
        first = last;
    if (epoch % 10 == 9)
        Console.WriteLine(last);
}

var confusion = new ConfusionMatrix(Classifier.OutputSize, ["inner", "outer"]);
confusion.Add<float>(logits, labels);
Console.WriteLine(confusion);
bool learned = last.Loss < first.Loss / 4 && confusion.Accuracy >= 0.95;
Console.WriteLine(learned ? "package consumer: ok" : "package consumer: the model did not learn");
return learned ? 0 : 1;

/// <summary>The smallest useful model, declared as a user of the package would.</summary>
[Network(Inputs = 2, Loss = Loss.SoftmaxCrossEntropy)]
public partial class Classifier
{
    /// <summary>The hidden layer.</summary>
    [Dense(16, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }

    /// <summary>One logit per class.</summary>
    [Dense(2)] public partial DenseLayer<float> Logits { get; }
}
