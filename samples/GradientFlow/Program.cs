using System;
using System.Diagnostics;
using System.Globalization;
using ChainRule.Diagnostics;
using ChainRule.Training;
using GradientFlow;

// One training step of three 20-deep networks on the same random batch; the generated trainers' gradient reports
// show where the gradient dies (plain sigmoid) and where it does not (ReLU + He, pre-LayerNorm residual).

const int Seed = 42;         // the models' weights
const int DataSeed = 7;      // the batch
const int Batch = 64;
const int Width = 256;
const int Classes = 10;
const int Depth = 20;

string chartPath = args.Length > 0 ? args[0] : "gradient-flow.svg";
var clock = Stopwatch.StartNew();

// 64 samples of 256 standard-normal features and uniformly random labels, from one seeded stream.
var data = new DeterministicRandom(DataSeed, stream: 0);
var inputs = new float[Batch * Width];
var labels = new int[Batch];
for (int i = 0; i < inputs.Length; i++)
    inputs[i] = (float)data.NextNormal();
for (int i = 0; i < labels.Length; i++)
    labels[i] = (int)(data.NextDouble() * Classes);

var options = new TrainerOptions { MaxBatch = Batch, Optimizer = Optimizers.Sgd(0.01) };
double flowRatioLimit = options.Health.FlowRatio;   // the reports' own threshold: 100× by default

FlowSeries[] series =
[
    Measure("PlainSigmoid", "20 × Dense(256, sigmoid), Xavier", depth => $"Layer{depth}", expectVanishing: true, PlainSigmoid.PredictedGradientNorms.ToArray(), () =>
    {
        var trainer = new PlainSigmoid(Seed).CreateTrainer(options);
        trainer.Step(inputs, labels);
        return trainer.LastReport!;
    }),
    Measure("ReluHe", "20 × Dense(256, ReLU), He", depth => $"Layer{depth}", expectVanishing: false, ReluHe.PredictedGradientNorms.ToArray(), () =>
    {
        var trainer = new ReluHe(Seed).CreateTrainer(options);
        trainer.Step(inputs, labels);
        return trainer.LastReport!;
    }),
    // A block's `up` layer is its first dense layer, the one that sees the normalized stream: one weight matrix per
    // depth, like the plain networks' layers. Its norm, down and the logits stay in the table but not in the ratio.
    Measure("PreNormResidual", "20 × pre-LayerNorm residual block (GELU), 'up' layers", depth => $"Body.{depth - 1}.up", expectVanishing: false, PreNormResidual.PredictedGradientNorms.ToArray(), () =>
    {
        var trainer = new PreNormResidual(Seed).CreateTrainer(options);
        trainer.Step(inputs, labels);
        return trainer.LastReport!;
    }),
];

Console.WriteLine("summary: max/min of |grad W| over the 20 hidden layers (depth 1 = input side)");
bool physicsHolds = true;
foreach (FlowSeries s in series)
{
    Console.WriteLine(s.Summary());
    physicsHolds &= s.MatchesExpectation;
}

string subtitle = string.Create(CultureInfo.InvariantCulture,
    $"one SGD step, batch {Batch} × {Width} standard-normal features (seed {DataSeed}), {Classes} classes, softmax cross-entropy; width {Width}, depth {Depth}, weight seed {Seed}");
FlowChart.Write(chartPath, series, subtitle);
Console.WriteLine($"chart: {chartPath}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {clock.Elapsed.TotalSeconds:F2} s"));
Console.WriteLine(physicsHolds ? "expected physics holds" : "EXPECTED PHYSICS DOES NOT HOLD");
return physicsHolds ? 0 : 1;

// predictedRelative: the compiler's estimate for every layer of the report, relative to the last one (the logits).
FlowSeries Measure(string name, string description, Func<int, string> layerAtDepth, bool expectVanishing, double[] predictedRelative, Func<GradientReport> step)
{
    GradientReport report = step();
    Console.WriteLine($"==== {name}: {description} ====");
    Console.WriteLine(report.ToString());

    var norms = new double[Depth];
    var predicted = new double[Depth];
    double last = report[report.LayerCount - 1].WeightGradientNorm;
    Console.WriteLine("depth  layer         measured ‖∇W‖  predicted  (compile-time estimate, anchored at the measured Logits norm)");
    for (int depth = 1; depth <= Depth; depth++)
    {
        int layer = IndexOf(report, layerAtDepth(depth));
        norms[depth - 1] = report[layer].WeightGradientNorm;
        predicted[depth - 1] = predictedRelative[layer] * last;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{depth,5}  {layerAtDepth(depth),-12}  {FlowSeries.Format(norms[depth - 1]),13}  {FlowSeries.Format(predicted[depth - 1]),9}"));
    }
    Console.WriteLine();
    return new FlowSeries(name, description, norms, expectVanishing, flowRatioLimit, predicted);
}

static int IndexOf(GradientReport report, string layer)
{
    for (int i = 0; i < report.LayerCount; i++)
    {
        if (report[i].Name == layer)
            return i;
    }
    throw new InvalidOperationException($"The report has no layer named {layer}.");
}
