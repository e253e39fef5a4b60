using System;
using System.Diagnostics;
using System.IO;
using ChainRule;
using ChainRule.Training;
using DigitClassifier;

const int Seed = 42;
const int Epochs = 25;
const int BatchSize = 32;

// Usage: DigitClassifier [checkpoint]; the trained model is saved there (default artifacts/digits.safetensors, relative
// to the working directory), for samples/AotInference to load.
string checkpoint = args.Length > 0 ? args[0] : Path.Combine("artifacts", "digits.safetensors");

var (train, heldOut) = Digits.LoadSplit();
Console.WriteLine($"digits: {train.Count} training, {heldOut.Count} held out; {Classifier.ParameterCount:N0} parameters");

var model = new Classifier(Seed);
var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = BatchSize, Optimizer = Optimizers.AdamW(learningRate: 2e-3, weightDecay: 1e-4) });

var clock = Stopwatch.StartNew();
int[] order = new int[train.Count];
float[] batchImages = new float[BatchSize * Digits.Pixels];
int[] batchLabels = new int[BatchSize];
var shuffle = new Random(Seed);
for (int i = 0; i < order.Length; i++)
    order[i] = i;

for (int epoch = 1; epoch <= Epochs; epoch++)
{
    shuffle.Shuffle(order);
    double lossSum = 0;
    int batches = 0;
    for (int start = 0; start < order.Length; start += BatchSize)
    {
        int rows = Math.Min(BatchSize, order.Length - start);
        for (int r = 0; r < rows; r++)
        {
            train.Image(order[start + r]).CopyTo(batchImages.AsSpan(r * Digits.Pixels));
            batchLabels[r] = train.Labels[order[start + r]];
        }
        lossSum += trainer.Step(batchImages.AsSpan(0, rows * Digits.Pixels), batchLabels.AsSpan(0, rows));
        batches++;
    }
    Console.WriteLine($"epoch {epoch,3}: loss {lossSum / batches:F4}, held-out accuracy {Accuracy(model, heldOut):P1}");
}

double accuracy = Accuracy(model, heldOut);
Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F1} s");

Span<float> logits = stackalloc float[Classifier.OutputSize];
model.Predict(heldOut.Image(0), logits);
Console.WriteLine($"first held-out digit: predicted {ArgMax(logits)}, label {heldOut.Labels[0]}");
Console.WriteLine(FormattableString.Invariant($"accuracy: {accuracy * 100:F1}%"));

string? directory = Path.GetDirectoryName(Path.GetFullPath(checkpoint));
if (directory is not null)
    Directory.CreateDirectory(directory);
model.Save(checkpoint);
Console.WriteLine($"saved: {checkpoint}");
// What samples/AotInference must reproduce from the checkpoint: correct/held-out and a hash of every logit's bits.
var heldOutLogits = new float[heldOut.Count * Classifier.OutputSize];
Fingerprint.PredictEach(model, heldOut, heldOutLogits);
Console.WriteLine($"fingerprint: {Fingerprint.Of(heldOutLogits, heldOut.Labels)}");
return accuracy >= 0.95 ? 0 : 1;

static double Accuracy(Classifier model, Digits data)
{
    var logits = new float[data.Count * Classifier.OutputSize];
    model.PredictBatch(data.Images, logits);
    int correct = 0;
    for (int i = 0; i < data.Count; i++)
    {
        if (ArgMax(logits.AsSpan(i * Classifier.OutputSize, Classifier.OutputSize)) == data.Labels[i])
            correct++;
    }
    return (double)correct / data.Count;
}

static int ArgMax(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values);
