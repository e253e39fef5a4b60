using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using ChainRule.Data;
using ChainRule.Evaluation;
using ChainRule.Kernels;
using ChainRule.Training;
using FashionMnist;

// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, MIT licence) as Debian's dataset-fashion-mnist installs it, or
// from the folder given as the first argument.
const string DebianFolder = "/usr/share/datasets/fashion-mnist";
const int Seed = 42;
const int Epochs = 10;
const int BatchSize = 128;
const double Target = 0.88;
string[] classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

string folder = args.Length > 0 ? args[0] : DebianFolder;
string? Find(string stem) => new[] { stem + ".gz", stem }.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
string? trainImages = Find("train-images-idx3-ubyte"), trainLabels = Find("train-labels-idx1-ubyte");
string? testImages = Find("t10k-images-idx3-ubyte"), testLabels = Find("t10k-labels-idx1-ubyte");
if (trainImages is null || trainLabels is null || testImages is null || testLabels is null)
{
    Console.Error.WriteLine($"""
        Fashion-MNIST was not found in {folder}: it needs train-images-idx3-ubyte, train-labels-idx1-ubyte,
        t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz). Install it with
            sudo apt-get install dataset-fashion-mnist      (Debian, Ubuntu: files land in {DebianFolder})
        or download it from https://github.com/zalandoresearch/fashion-mnist and pass its folder:
            dotnet run -c Release --project samples/FashionMnist -- /path/to/fashion-mnist
        """);
    return 2;
}

var (train, trainTargets) = Idx.ReadLabeledImages(trainImages, trainLabels);
var (test, testTargets) = Idx.ReadLabeledImages(testImages, testLabels);
if (train.Width != Classifier.InputSize || test.Width != Classifier.InputSize)
{
    Console.Error.WriteLine($"Expected {Classifier.InputSize}-pixel images, found {train.Rows}×{train.Columns} in {trainImages}.");
    return 2;
}
Console.WriteLine($"Fashion-MNIST from {folder}: {train.Count:N0} training, {test.Count:N0} test images; threads: {Gemm.ThreadCount}");
Console.WriteLine(Classifier.Summary);

var model = new Classifier(Seed);
var batches = new MiniBatcher<float, int>(train.Pixels, train.Width, trainTargets, targetWidth: 1, BatchSize, Seed);
// Cosine decay to 0 over the whole run after a short warmup: the last epochs settle instead of bouncing at the
// full rate, worth about half a point of test accuracy over a constant rate.
var trainer = model.CreateTrainer(new TrainerOptions
{
    MaxBatch = BatchSize,
    Optimizer = Optimizers.AdamW(learningRate: 1e-3, weightDecay: 1e-4),
    Schedule = Schedules.WarmupCosine(warmupSteps: 200, totalSteps: Epochs * batches.BatchesPerEpoch),
});
var testLogits = new float[test.Count * Classifier.OutputSize];
var meter = new EpochMeter(Epochs, progress => Console.WriteLine(progress));

var clock = Stopwatch.StartNew();
for (int epoch = 0; epoch < Epochs; epoch++)
{
    batches.Shuffle(epoch);
    meter.Start();
    while (batches.MoveNext())
        meter.Add(trainer.Step(batches.Inputs, batches.Targets), batches.Rows);
    model.PredictBatch(test.Pixels, testLogits);
    meter.Finish(accuracy: Metrics.Accuracy<float>(testLogits, testTargets, Classifier.OutputSize));
}
clock.Stop();

var confusion = new ConfusionMatrix(Classifier.OutputSize, classNames);
confusion.Add<float>(testLogits, testTargets);
Console.WriteLine();
Console.WriteLine(confusion);
Console.WriteLine(FormattableString.Invariant($"trained {Epochs} epochs in {clock.Elapsed.TotalSeconds:F1} s on {Gemm.ThreadCount} thread(s)"));
Console.WriteLine(FormattableString.Invariant($"test accuracy: {confusion.Accuracy * 100:F2}%"));
if (confusion.Accuracy < Target)
{
    Console.Error.WriteLine(FormattableString.Invariant($"Below the {Target:P0} this model reaches in PyTorch and in ChainRule."));
    return 1;
}
return 0;
