using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using ChainRule.Diagnostics;
using ChainRule.Training;
using LongMemory;

// The adding problem over 50 steps: a tanh RNN's ‖∂L/∂h_t‖ vanishes back through time and it never beats predicting
// the mean (MSE ≈ 1/6), while the LSTM's and GRU's gated states carry the error back and solve it. The exit code checks it.

const int Batch = 32;
const int TrainingSteps = 1200;
const double Baseline = 1.0 / 6;   // MSE of always answering 1, the mean of the sum
string chartPath = args.Length > 0 ? args[0] : "long-memory.svg";
var clock = Stopwatch.StartNew();
var options = new TrainerOptions { MaxBatch = 256, Optimizer = Optimizers.Adam(1e-2), Clip = Clipping.GlobalNorm(1.0) };

var validation = new DeterministicRandom(99, stream: 0);
float[] validationInputs = new float[256 * Problem.Steps * 2], validationTargets = new float[256];
Problem.Fill(validationInputs, validationTargets, ref validation);

var results = new[]
{
    Train("tanh RNN", new TanhRnn(seed: 1).CreateTrainer(options), t => t.Step, t => t.Evaluate, t => t.LastReport!),
    Train("LSTM", new LstmNet(seed: 1).CreateTrainer(options), t => t.Step, t => t.Evaluate, t => t.LastReport!),
    Train("GRU", new GruNet(seed: 1).CreateTrainer(options), t => t.Step, t => t.Evaluate, t => t.LastReport!),
};

Console.WriteLine();
Console.WriteLine($"validation MSE after {TrainingSteps} steps (predicting the mean: {Baseline:F3}); ‖∂L/∂h_t‖ last/first step at the last training step");
foreach (var r in results)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Name,-9} MSE {r.Mse:F4}   last/first {r.Ratio:0.0e+00}"));
WriteChart(chartPath, results);
Console.WriteLine($"chart: {chartPath}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {clock.Elapsed.TotalSeconds:F1} s"));

// The physics: the RNN's gradient through time vanishes (beyond the report's 100×) and it stays near the baseline;
// the gated cells solve the task, their error flowing back through all 50 steps within the same 100×.
bool holds = results[0].Ratio > options.Health.FlowRatio && results[0].Mse > 0.5 * Baseline
    && results[1].Mse < 0.1 * Baseline && results[2].Mse < 0.1 * Baseline
    && results[1].Ratio < options.Health.FlowRatio && results[2].Ratio < options.Health.FlowRatio;
Console.WriteLine(holds ? "expected physics holds" : "EXPECTED PHYSICS DOES NOT HOLD");
return holds ? 0 : 1;

Result Train<TTrainer>(string name, TTrainer trainer, Func<TTrainer, Func<ReadOnlySpan<float>, ReadOnlySpan<float>, float>> step,
    Func<TTrainer, Func<ReadOnlySpan<float>, ReadOnlySpan<float>, float>> evaluate, Func<TTrainer, GradientReport> report)
{
    var data = new DeterministicRandom(7, stream: 0);
    float[] inputs = new float[Batch * Problem.Steps * 2], targets = new float[Batch];
    double[] norms = [];
    double ratio = double.NaN;
    for (int s = 1; s <= TrainingSteps; s++)
    {
        Problem.Fill(inputs, targets, ref data);
        step(trainer)(inputs, targets);
        // At PyTorch's init every cell's gradient fades back through 50 steps; what training does to it is the point.
        if (s == 1 || s == TrainingSteps)
        {
            norms = report(trainer).HiddenGradientNorms(0).ToArray();
            ratio = report(trainer).TimeFlowRatio(0);
            Console.WriteLine($"==== {name}: step {s} ====");
            Console.WriteLine(report(trainer).ToString());
        }
        if (s % 300 == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-9} step {s,5}: validation MSE {evaluate(trainer)(validationInputs, validationTargets):F4}"));
    }
    return new Result(name, evaluate(trainer)(validationInputs, validationTargets), ratio, norms);
}

// ‖∂L/∂h_t‖ against t on a log scale, one line per cell: the constant-error-flow picture.
static void WriteChart(string path, Result[] results)
{
    const int Width = 720, Height = 420, Left = 70, Right = 20, Top = 40, Bottom = 50;
    double min = double.MaxValue, max = double.MinValue;
    foreach (var r in results)
        foreach (double n in r.Norms)
            if (n > 0) { min = Math.Min(min, Math.Log10(n)); max = Math.Max(max, Math.Log10(n)); }
    min = Math.Floor(min); max = Math.Ceiling(max);
    if (max <= min) max = min + 1;
    string[] colors = ["#d62728", "#1f77b4", "#2ca02c"];
    var svg = new StringBuilder();
    CultureInfo c = CultureInfo.InvariantCulture;
    svg.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
    svg.Append(c, $"<text x=\"{Left}\" y=\"20\" font-size=\"14\">Adding problem, T = {Problem.Steps}: ‖∂L/∂h_t‖ after {TrainingSteps} training steps (log scale)</text>\n");
    double X(int t) => Left + (Width - Left - Right) * t / (double)(Problem.Steps - 1);
    double Y(double log) => Top + (Height - Top - Bottom) * (max - log) / (max - min);
    for (double d = min; d <= max; d++)
        svg.Append(c, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(d):F1}\" y2=\"{Y(d):F1}\" stroke=\"#ddd\"/><text x=\"{Left - 8}\" y=\"{Y(d) + 4:F1}\" text-anchor=\"end\">1e{d:0}</text>\n");
    svg.Append(c, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">step t (the loss reads the last)</text>\n");
    for (int i = 0; i < results.Length; i++)
    {
        var points = new StringBuilder();
        for (int t = 0; t < results[i].Norms.Length; t++)
            if (results[i].Norms[t] > 0)
                points.Append(c, $"{X(t):F1},{Y(Math.Log10(results[i].Norms[t])):F1} ");
        svg.Append(c, $"<polyline fill=\"none\" stroke=\"{colors[i]}\" stroke-width=\"2\" points=\"{points.ToString().TrimEnd()}\"/>\n");
        svg.Append(c, $"<text x=\"{Left + 10}\" y=\"{Top + 16 + 16 * i}\" fill=\"{colors[i]}\">{results[i].Name}: MSE {results[i].Mse:F4}</text>\n");
    }
    svg.Append("</svg>\n");
    File.WriteAllText(path, svg.ToString());
}

internal sealed record Result(string Name, double Mse, double Ratio, double[] Norms);
