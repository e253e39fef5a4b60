using System;
using BenchmarkDotNet.Attributes;
using ChainRule.Training;

namespace ChainRule.Benchmarks;

/// <summary>An MLP sized like the ones people deploy: enough work per step that the report's cost shows as a ratio.</summary>
[Network(Inputs = 256, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ReportedMlp
{
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Hidden1 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Hidden2 { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer<float> Hidden3 { get; }
    [Dense(10)] public partial DenseLayer<float> Logits { get; }
}

/// <summary>
/// One training step with the gradient report (per-layer norms, weight norms, dead units, flags) against the same
/// step with <c>TrainerOptions.Report = false</c>. The gradient norms come out of the backward kernels either way;
/// the difference is the report's bookkeeping and one pass over the weights for their norms.
/// Ratio = with report / without: how much the health hooks cost.
/// </summary>
[MemoryDiagnoser]
public class StepReportBenchmarks
{
    private const int Batch = 64;
    private readonly float[] _inputs = new float[Batch * ReportedMlp.InputSize];
    private readonly int[] _labels = new int[Batch];
    private ReportedMlp.Trainer _withReport = null!;
    private ReportedMlp.Trainer _withoutReport = null!;

    /// <summary>Two identical models and trainers, one reporting, one not, on a fixed random batch.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < _inputs.Length; i++)
            _inputs[i] = (float)(random.NextDouble() * 2 - 1);
        for (int i = 0; i < _labels.Length; i++)
            _labels[i] = random.Next(ReportedMlp.OutputSize);
        _withReport = new ReportedMlp(7).CreateTrainer(new TrainerOptions { MaxBatch = Batch, Optimizer = Optimizers.Sgd(1e-4, momentum: 0.9) });
        _withoutReport = new ReportedMlp(7).CreateTrainer(new TrainerOptions { MaxBatch = Batch, Optimizer = Optimizers.Sgd(1e-4, momentum: 0.9), Report = false });
    }

    /// <summary>Step without the report.</summary>
    [Benchmark(Baseline = true)]
    public float StepWithoutReport() => _withoutReport.Step(_inputs, _labels);

    /// <summary>Step filling the report.</summary>
    [Benchmark]
    public float StepWithReport() => _withReport.Step(_inputs, _labels);
}
