using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Generators.Tests;

/// <summary>
/// Gradient checks of generated models: every activation × loss × depth 1..4, with sizes, inputs and targets drawn
/// from a seeded generator, compiled at test time through the generator. Double models are checked against central
/// finite differences; float twins, loaded with the same parameters, against the double models.
/// </summary>
public class GeneratedModelGradientTests(ITestOutputHelper log)
{
    private const int Seed = 20261123;
    private static readonly string[] Activations = ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Gelu", "Silu"];
    private static readonly string[] Losses = ["SoftmaxCrossEntropy", "MeanSquaredError", "BinaryCrossEntropyWithLogits"];

    private static readonly Lazy<IReadOnlyList<(IModelProbe Double, IModelProbe Float)>> Models = new(CompileModels);

    /// <summary>
    /// Every normalization, standalone and inside residual blocks in both placements, with and without ReZero,
    /// first in the network (reading the network input) and later. <c>{T}</c> stands for the element type.
    /// </summary>
    private static readonly (string Name, string Loss, int Inputs, string[] Layers)[] Architectures =
    [
        ("LayerNormAfterDense", "SoftmaxCrossEntropy", 5, ["[Dense(6, Activation.Tanh)] public partial DenseLayer<{T}> A { get; }", "[LayerNorm] public partial NormLayer<{T}> N { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        ("RMSNormAfterDense", "MeanSquaredError", 4, ["[Dense(7, Activation.Gelu)] public partial DenseLayer<{T}> A { get; }", "[RMSNorm] public partial NormLayer<{T}> N { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("BatchNormAfterDense", "SoftmaxCrossEntropy", 5, ["[Dense(6, Activation.Silu)] public partial DenseLayer<{T}> A { get; }", "[BatchNorm] public partial NormLayer<{T}> N { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        ("LayerNormFirst", "MeanSquaredError", 6, ["[LayerNorm(Epsilon = 1e-3)] public partial NormLayer<{T}> N { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("RMSNormFirst", "BinaryCrossEntropyWithLogits", 6, ["[RMSNorm] public partial NormLayer<{T}> N { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("BatchNormFirst", "MeanSquaredError", 3, ["[BatchNorm] public partial NormLayer<{T}> N { get; }", "[Dense(2, Activation.Tanh)] public partial DenseLayer<{T}> B { get; }"]),
        ("PreLayerNormStack", "SoftmaxCrossEntropy", 5, ["[Dense(6, Activation.Tanh)] public partial DenseLayer<{T}> A { get; }", "[Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 3, Hidden = 4)] public partial ResidualStack<{T}> R { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        ("PreRMSNormStackReZero", "MeanSquaredError", 5, ["[Dense(6)] public partial DenseLayer<{T}> A { get; }", "[Residual(Norm.RMSNorm, Activation.Silu, Repeat = 2, ReZero = true)] public partial ResidualStack<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("PreBatchNormStack", "MeanSquaredError", 4, ["[Dense(5, Activation.Sigmoid)] public partial DenseLayer<{T}> A { get; }", "[Residual(Norm.BatchNorm, Activation.Tanh, Repeat = 2, Hidden = 3)] public partial ResidualStack<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("PreLayerNormStackReZeroFirst", "SoftmaxCrossEntropy", 4, ["[Residual(Norm.LayerNorm, Activation.ReLU, Repeat = 2, Hidden = 5, ReZero = true)] public partial ResidualStack<{T}> R { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        ("PostLayerNormStack", "MeanSquaredError", 5, ["[Dense(6, Activation.Tanh)] public partial DenseLayer<{T}> A { get; }", "[Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 3, Hidden = 4, Placement = NormPlacement.Post)] public partial ResidualStack<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("PostRMSNormStackReZero", "SoftmaxCrossEntropy", 5, ["[Dense(6)] public partial DenseLayer<{T}> A { get; }", "[Residual(Norm.RMSNorm, Activation.Tanh, Repeat = 2, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<{T}> R { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        ("PostBatchNormStackReZero", "MeanSquaredError", 4, ["[Dense(5, Activation.Tanh)] public partial DenseLayer<{T}> A { get; }", "[Residual(Norm.BatchNorm, Activation.Gelu, Repeat = 2, Hidden = 3, Placement = NormPlacement.Post, ReZero = true)] public partial ResidualStack<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("PostLayerNormStackFirst", "MeanSquaredError", 4, ["[Residual(Norm.LayerNorm, Activation.Silu, Repeat = 2, Placement = NormPlacement.Post)] public partial ResidualStack<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("ReluBeforeLayerNorm", "MeanSquaredError", 5, ["[Dense(6, Activation.ReLU)] public partial DenseLayer<{T}> A { get; }", "[LayerNorm] public partial NormLayer<{T}> N { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("PostLayerNormStackRelu", "SoftmaxCrossEntropy", 4, ["[Dense(5, Activation.ReLU)] public partial DenseLayer<{T}> A { get; }", "[Residual(Norm.LayerNorm, Activation.ReLU, Repeat = 2, Hidden = 4, Placement = NormPlacement.Post)] public partial ResidualStack<{T}> R { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        // Bias = false (nn.Linear(bias=False)): before a BatchNorm, before activations (Tanh, and ReLU fused into the
        // product's epilogue and its input gradient), and as the last layer.
        ("BiasFreeBeforeBatchNorm", "SoftmaxCrossEntropy", 5, ["[Dense(6, Bias = false)] public partial DenseLayer<{T}> A { get; }", "[BatchNorm] public partial NormLayer<{T}> N { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        ("BiasFreeBeforeActivations", "MeanSquaredError", 4, ["[Dense(6, Activation.Tanh, Bias = false)] public partial DenseLayer<{T}> A { get; }", "[Dense(5, Activation.ReLU, Bias = false)] public partial DenseLayer<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("BiasFreeLast", "BinaryCrossEntropyWithLogits", 5, ["[Dense(6, Activation.Gelu)] public partial DenseLayer<{T}> A { get; }", "[LayerNorm] public partial NormLayer<{T}> N { get; }", "[Dense(2, Bias = false)] public partial DenseLayer<{T}> B { get; }"]),
        ("StackedStacks", "SoftmaxCrossEntropy", 4, ["[Residual(Norm.RMSNorm, Activation.Gelu, Repeat = 1)] public partial ResidualStack<{T}> R { get; }", "[Residual(Norm.LayerNorm, Activation.Tanh, Repeat = 2, Placement = NormPlacement.Post)] public partial ResidualStack<{T}> S { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
    ];

    /// <summary>
    /// Sequence models (<c>[Network(Steps = T)]</c>): LSTM, GRU and RNN (tanh and ReLU), last-step and every-step
    /// outputs with a per-step dense head, dense layers per step before a recurrent layer and after a last-step one, a
    /// norm after the last step, stacked layers, T = 1, init options, each loss. Truncated models are in
    /// <see cref="TruncatedSequenceArchitectures"/>: their gradient is by definition not the loss's derivative.
    /// </summary>
    private static readonly (string Name, string Loss, int Inputs, int Steps, string[] Layers)[] SequenceArchitectures =
    [
        ("LstmLastStep", "SoftmaxCrossEntropy", 3, 5, ["[Lstm(4)] public partial RecurrentLayer<{T}> L { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
        ("GruLastStep", "MeanSquaredError", 2, 6, ["[Gru(5)] public partial RecurrentLayer<{T}> G { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("RnnTanhLastStep", "BinaryCrossEntropyWithLogits", 3, 4, ["[Rnn(4)] public partial RecurrentLayer<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("RnnReluEveryStep", "MeanSquaredError", 2, 4, ["[Rnn(3, Activation.ReLU, ReturnSequences = true)] public partial RecurrentLayer<{T}> R { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("LstmEveryStep", "BinaryCrossEntropyWithLogits", 2, 4, ["[Lstm(3, ReturnSequences = true)] public partial RecurrentLayer<{T}> L { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("GruEveryStepAfterDense", "MeanSquaredError", 3, 5, ["[Dense(4, Activation.Tanh)] public partial DenseLayer<{T}> E { get; }", "[Gru(3, ReturnSequences = true)] public partial RecurrentLayer<{T}> G { get; }", "[Dense(1)] public partial DenseLayer<{T}> B { get; }"]),
        ("LstmIntoGru", "SoftmaxCrossEntropy", 2, 5, ["[Lstm(4, ReturnSequences = true)] public partial RecurrentLayer<{T}> L { get; }", "[Gru(3)] public partial RecurrentLayer<{T}> G { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("RnnIntoLstmEveryStep", "MeanSquaredError", 2, 3, ["[Rnn(3, ReturnSequences = true)] public partial RecurrentLayer<{T}> R { get; }", "[Lstm(2, ReturnSequences = true)] public partial RecurrentLayer<{T}> L { get; }", "[Dense(1)] public partial DenseLayer<{T}> B { get; }"]),
        ("LstmOneStep", "MeanSquaredError", 3, 1, ["[Lstm(3)] public partial RecurrentLayer<{T}> L { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("LstmLongerOptions", "SoftmaxCrossEntropy", 2, 20, ["[Lstm(3, RecurrentInit = Init.Orthogonal, ForgetBias = 1)] public partial RecurrentLayer<{T}> L { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("GruThenDenseAndNorm", "MeanSquaredError", 2, 4, ["[Gru(4)] public partial RecurrentLayer<{T}> G { get; }", "[Dense(5, Activation.Tanh)] public partial DenseLayer<{T}> D { get; }", "[LayerNorm] public partial NormLayer<{T}> N { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
    ];

    /// <summary>Truncated BPTT (<c>Truncate = K</c>): last-step and every-step outputs.</summary>
    private static readonly (string Name, string Loss, int Inputs, int Steps, string[] Layers)[] TruncatedSequenceArchitectures =
    [
        ("LstmTruncatedLastStep", "MeanSquaredError", 2, 6, ["[Lstm(3, Truncate = 2)] public partial RecurrentLayer<{T}> L { get; }", "[Dense(2)] public partial DenseLayer<{T}> B { get; }"]),
        ("GruTruncatedEveryStep", "BinaryCrossEntropyWithLogits", 2, 5, ["[Gru(3, ReturnSequences = true, Truncate = 2)] public partial RecurrentLayer<{T}> G { get; }", "[Dense(1)] public partial DenseLayer<{T}> B { get; }"]),
        ("RnnTruncatedLastStep", "SoftmaxCrossEntropy", 3, 5, ["[Rnn(4, Truncate = 3)] public partial RecurrentLayer<{T}> R { get; }", "[Dense(3)] public partial DenseLayer<{T}> B { get; }"]),
    ];

    public static IEnumerable<object[]> SequenceCases() => SequenceArchitectures.Select(a => new object[] { a.Name });

    [Theory]
    [MemberData(nameof(SequenceCases))]
    public void RecurrentModelsMatchFiniteDifferences(string architecture) =>
        CheckAgainstFiniteDifferences(FindByName(architecture + "_Double").Double,
            kinked: SequenceArchitectures.Single(a => a.Name == architecture).Layers.Any(l => l.Contains("ReLU", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(SequenceCases))]
    public void RecurrentModelsAgreeInFloatAndDouble(string architecture)
    {
        var (reference, single) = FindByName(architecture + "_Double");
        CheckFloatAgainstDouble(reference, single);
    }

    public static IEnumerable<object[]> TruncatedCases() => TruncatedSequenceArchitectures.Select(a => new object[] { a.Name });

    /// <summary>
    /// A truncated model's gradient is the full one's with the state detached before step <c>T − K</c>: the layers
    /// after the recurrent one see the same function, so their gradients match finite differences, while the
    /// recurrent layer's differ from the full BPTT gradient of the same model (the truncation reached the kernel).
    /// </summary>
    [Theory]
    [MemberData(nameof(TruncatedCases))]
    public void TruncatedModelsMatchFiniteDifferencesAboveTheRecurrence(string architecture)
    {
        IModelProbe truncated = FindByName(architecture + "_Double").Double;
        IModelProbe full = FindByName(architecture + "Full_Double").Double;
        MoveOffKinks(truncated, truncated.Name.Length);
        for (int i = 0; i < truncated.ParameterCount; i++)
            full.SetParameter(i, truncated.GetParameter(i));
        double[] analytic = new double[truncated.ParameterCount], reference = new double[full.ParameterCount];
        double loss = truncated.LossAndGradients(analytic);
        Assert.Equal(full.LossAndGradients(reference), loss); // the forward pass does not depend on the truncation
        double[] numeric = FiniteDifferences(truncated, analytic.Max(Math.Abs), out _);
        int recurrent = truncated.RecurrentParameterCount;
        double[] Head(double[] g) => g[recurrent..];
        double error = RelativeError(Head(analytic), Head(numeric), out int worst);
        Assert.True(error < 1e-6, $"{truncated.Name}: head gradient relative error {error:E3} at {recurrent + worst}\n{Differences(Head(analytic), Head(numeric))}");
        double[] Recurrence(double[] g) => g[..recurrent];
        Assert.True(RelativeError(Recurrence(analytic), Recurrence(reference), out _) > 1e-3,
            $"{truncated.Name}: the truncated gradient equals full BPTT's, so the truncation did not reach the kernel.");
        Assert.True(RelativeError(Recurrence(reference), Recurrence(numeric), out _) < 1e-6, $"{truncated.Name}: full BPTT does not match finite differences.");
    }

    public static IEnumerable<object[]> ArchitectureCases() => Architectures.Select(a => new object[] { a.Name });

    [Theory]
    [MemberData(nameof(ArchitectureCases))]
    public void NormsAndResidualBlocksMatchFiniteDifferences(string architecture) =>
        CheckAgainstFiniteDifferences(FindByName(architecture + "_Double").Double,
            kinked: Architectures.Single(a => a.Name == architecture).Layers.Any(l => l.Contains("ReLU", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(ArchitectureCases))]
    public void NormsAndResidualBlocksAgreeInFloatAndDouble(string architecture)
    {
        var (reference, single) = FindByName(architecture + "_Double");
        CheckFloatAgainstDouble(reference, single);
    }

    public static IEnumerable<object[]> Cases() =>
        from activation in Activations
        from loss in Losses
        from depth in Enumerable.Range(1, 4)
        select new object[] { activation, loss, depth };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DoubleGradientsMatchFiniteDifferences(string activation, string loss, int depth) =>
        CheckAgainstFiniteDifferences(Find(activation, loss, depth).Double, kinked: activation is "ReLU" or "LeakyReLU");

    private void CheckAgainstFiniteDifferences(IModelProbe model, bool kinked)
    {
        MoveOffKinks(model, model.Name.Length);
        double[] analytic = new double[model.ParameterCount];
        model.LossAndGradients(analytic);
        double[] numeric = FiniteDifferences(model, analytic.Max(Math.Abs), out int nearKinks);
        Assert.True(nearKinks == 0 || (kinked && nearKinks <= model.ParameterCount / 20),
            $"{model.Name}: the loss is not smooth around {nearKinks} of {model.ParameterCount} parameters.");

        double scale = numeric.Max(Math.Abs);
        Assert.True(scale > 0, $"{model.Name}: every gradient is 0, so the check would prove nothing.");
        double error = RelativeError(analytic, numeric, out int worst);
        log.WriteLine($"{model.Name}: {model.ParameterCount} parameters, max |g| {scale:E2}, relative error {error:E2}, {nearKinks} near a kink");
        Assert.True(error < 1e-6,
            $"{model.Name}: relative error {error:E3} at parameter {worst}: analytic {analytic[worst]:E10}, finite difference {numeric[worst]:E10}\n{Differences(analytic, numeric)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FloatModelAgreesWithDoubleModel(string activation, string loss, int depth) =>
        CheckFloatAgainstDouble(Find(activation, loss, depth).Double, Find(activation, loss, depth).Float);

    private static void CheckFloatAgainstDouble(IModelProbe reference, IModelProbe single)
    {
        for (int i = 0; i < reference.ParameterCount; i++)
            single.SetParameter(i, (float)reference.GetParameter(i));
        for (int i = 0; i < reference.ParameterCount; i++)
            reference.SetParameter(i, single.GetParameter(i));

        double[] expected = new double[reference.ParameterCount];
        double[] actual = new double[single.ParameterCount];
        double expectedLoss = reference.LossAndGradients(expected);
        double actualLoss = single.LossAndGradients(actual);

        Assert.True(Math.Abs(expectedLoss - actualLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"{single.Name}: loss {actualLoss} vs double {expectedLoss}");
        double error = RelativeError(actual, expected, out int worst);
        Assert.True(error < 1e-4, $"{single.Name}: gradient relative error {error:E3} at {worst}: float {actual[worst]:E8}, double {expected[worst]:E8}\n{Differences(actual, expected)}");
    }

    /// <summary>
    /// Adds a little noise to every parameter. At initialization biases are exactly 0, so a ReLU layer that is dead
    /// on the batch hands the next layer pre-activations of exactly 0, where ReLU has no derivative and a finite
    /// difference measures a one-sided slope instead of the (PyTorch-defined) gradient.
    /// </summary>
    private static void MoveOffKinks(IModelProbe model, int salt)
    {
        var random = new Random(Seed + salt);
        for (int i = 0; i < model.ParameterCount; i++)
            model.SetParameter(i, model.GetParameter(i) + (random.NextDouble() - 0.5) * 0.2);
    }

    /// <summary>
    /// Five-point central differences, <c>(8(f(θ+h) − f(θ−h)) − (f(θ+2h) − f(θ−2h))) / 12h</c>: truncation error O(h⁴)
    /// instead of O(h²), so h can stay large enough that rounding in the loss does not dominate. Where the loss is
    /// not smooth within the stencil (a ReLU pre-activation crosses 0 between θ−2h and θ+2h), the steps h and h/16
    /// disagree (by more than 1e-6 of the largest gradient, <paramref name="scale"/>); there the smaller step's value is used and the parameter is counted in <paramref name="nearKinks"/>.
    /// </summary>
    private static double[] FiniteDifferences(IModelProbe model, double scale, out int nearKinks)
    {
        const double h = 1e-5;
        var gradient = new double[model.ParameterCount];
        nearKinks = 0;
        for (int i = 0; i < gradient.Length; i++)
        {
            double original = model.GetParameter(i);
            double Slope(double step)
            {
                double At(double offset)
                {
                    model.SetParameter(i, original + offset);
                    return model.Loss();
                }
                return (8 * (At(step) - At(-step)) - (At(2 * step) - At(-2 * step))) / (12 * step);
            }
            double coarse = Slope(h);
            double fine = Slope(h / 16);
            model.SetParameter(i, original);
            bool smooth = Math.Abs(coarse - fine) <= 1e-6 * scale;
            gradient[i] = smooth ? coarse : fine;
            if (!smooth)
                nearKinks++;
        }
        return gradient;
    }

    /// <summary>Norm-wise relative error <c>max|a − n| / max|n|</c>, with the index of the worst element.</summary>
    private static double RelativeError(double[] actual, double[] expected, out int worst)
    {
        worst = 0;
        double maxDifference = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double difference = Math.Abs(actual[i] - expected[i]);
            if (difference > maxDifference)
            {
                maxDifference = difference;
                worst = i;
            }
        }
        return maxDifference / Math.Max(expected.Max(Math.Abs), double.Epsilon);
    }

    /// <summary>The first differing elements, as llm.c's check_tensor prints them.</summary>
    private static string Differences(double[] actual, double[] expected)
    {
        var text = new StringBuilder();
        for (int i = 0, shown = 0; i < actual.Length && shown < 8; i++)
        {
            if (Math.Abs(actual[i] - expected[i]) > 1e-9 * Math.Max(1, Math.Abs(expected[i])))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  [{i}] {actual[i]:E10} vs {expected[i]:E10}");
                shown++;
            }
        }
        return text.ToString();
    }

    private static (IModelProbe Double, IModelProbe Float) Find(string activation, string loss, int depth) =>
        FindByName(ModelName(activation, loss, depth, "Double"));

    private static (IModelProbe Double, IModelProbe Float) FindByName(string doubleName) =>
        Models.Value.Single(m => m.Double.Name == doubleName);

    private static string ModelName(string activation, string loss, int depth, string precision) => $"{activation}_{loss}_{depth}_{precision}";

    private static IReadOnlyList<(IModelProbe, IModelProbe)> CompileModels()
    {
        var random = new Random(Seed);
        var source = new StringBuilder("using ChainRule;\n#pragma warning disable CR0009 // activations on logits are part of the matrix\n");
        var pairs = new List<(string Double, string Float)>();
        void Add(string stem, string loss, int inputs, Func<string, string[]> layers, int outputs, int steps = 0, string[]? twin = null)
        {
            int batch = random.Next(3, 7);
            double[] data = Enumerable.Range(0, batch * inputs * Math.Max(steps, 1)).Select(_ => random.NextDouble() * 4 - 2).ToArray();
            int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(outputs)).ToArray();
            double[] targets = Enumerable.Range(0, batch * outputs)
                .Select(_ => loss == "MeanSquaredError" ? random.NextDouble() * 2 - 1 : random.NextDouble()).ToArray();
            int seed = random.Next();
            foreach (string precision in new[] { "Double", "Float" })
                AppendModel(source, $"{stem}_{precision}", precision, loss, inputs, layers(precision == "Double" ? "double" : "float"), batch, seed, data, labels, targets, steps);
            pairs.Add(($"{stem}_Double", $"{stem}_Float"));
            // The same model without truncation, on the same data.
            if (twin is not null)
            {
                foreach (string precision in new[] { "Double", "Float" })
                    AppendModel(source, $"{stem}Full_{precision}", precision, loss, inputs, twin.Select(l => l.Replace("{T}", precision == "Double" ? "double" : "float", StringComparison.Ordinal)).ToArray(), batch, seed, data, labels, targets, steps);
                pairs.Add(($"{stem}Full_Double", $"{stem}Full_Float"));
            }
        }

        foreach (var (activation, loss, depth) in Cases().Select(c => ((string)c[0], (string)c[1], (int)c[2])))
        {
            int inputs = random.Next(1, 8);
            int[] widths = Enumerable.Range(0, depth).Select(_ => random.Next(2, 8)).ToArray();
            Add($"{activation}_{loss}_{depth}", loss, inputs,
                t => widths.Select((w, i) => $"[Dense({w}, Activation.{activation})] public partial DenseLayer<{t}> Layer{i} {{ get; }}").ToArray(),
                widths[^1]);
        }
        foreach (var (name, loss, inputs, layers) in Architectures)
        {
            int outputs = int.Parse(System.Text.RegularExpressions.Regex.Match(layers[^1], @"Dense\((\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            Add(name, loss, inputs, t => layers.Select(l => l.Replace("{T}", t, StringComparison.Ordinal)).ToArray(), outputs);
        }

        foreach (var (name, loss, inputs, steps, layers) in SequenceArchitectures.Concat(TruncatedSequenceArchitectures))
        {
            // A head after an every-step layer outputs per step: T × its units per sample.
            int units = int.Parse(System.Text.RegularExpressions.Regex.Match(layers[^1], @"Dense\((\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            bool perStep = !layers.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\[(Lstm|Gru|Rnn)\(") && !l.Contains("ReturnSequences = true", StringComparison.Ordinal));
            string[]? twin = TruncatedSequenceArchitectures.Any(a => a.Name == name)
                ? layers.Select(l => System.Text.RegularExpressions.Regex.Replace(l, @", Truncate = \d+", "")).ToArray()
                : null;
            Add(name, loss, inputs, t => layers.Select(l => l.Replace("{T}", t, StringComparison.Ordinal)).ToArray(), perStep ? steps * units : units, steps, twin);
        }

        CSharpCompilation compilation = GeneratorHarness.Compile(source.ToString(), "GradientModels.cs", "GradientModels")
            .AddReferences(MetadataReference.CreateFromFile(typeof(IModelProbe).Assembly.Location));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out var generatorDiagnostics);
        Assert.DoesNotContain(generatorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        using var image = new MemoryStream();
        var emit = generated.Emit(image);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        Assembly assembly = Assembly.Load(image.ToArray());
        IModelProbe Create(string name) => (IModelProbe)Activator.CreateInstance(assembly.GetType("Probe_" + name)!)!;
        return pairs.Select(p => (Create(p.Double), Create(p.Float))).ToList();
    }

    /// <summary>
    /// A model and its probe. The probe's loss is the trainer's <c>ComputeGradients</c>, the training-mode loss
    /// (BatchNorm normalizes with the batch's statistics there, and with running statistics in <c>Evaluate</c>).
    /// </summary>
    private static void AppendModel(StringBuilder source, string name, string precision, string loss,
        int inputs, string[] layers, int batch, int seed, double[] data, int[] labels, double[] targets, int steps = 0)
    {
        string t = precision == "Double" ? "double" : "float";
        string Literals(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture) + (t == "float" ? "f" : "")));
        source.AppendLine(CultureInfo.InvariantCulture, $"[Network(Inputs = {inputs}{(steps > 0 ? $", Steps = {steps}" : "")}, Loss = Loss.{loss}, Precision = Precision.{precision})]");
        source.AppendLine(CultureInfo.InvariantCulture, $"public partial class {name}");
        source.AppendLine("{");
        foreach (string layer in layers)
            source.AppendLine(CultureInfo.InvariantCulture, $"    {layer}");
        source.AppendLine("}");
        // The truncated models' recurrent layer comes first: its parameters are the buffer's first ones.
        string recurrentCount = layers.Length > 0 && System.Text.RegularExpressions.Regex.Match(layers[0], @"^\[(Lstm|Gru|Rnn)\((\d+)") is { Success: true } first
            ? $"{first.Groups[1].Value switch { "Lstm" => 4, "Gru" => 3, _ => 1 }} * {first.Groups[2].Value} * ({inputs} + {first.Groups[2].Value} + 2)"
            : "0";
        string targetsField = loss == "SoftmaxCrossEntropy"
            ? $"int[] _targets = [{string.Join(", ", labels)}];"
            : $"{t}[] _targets = [{Literals(targets)}];";
        source.AppendLine(CultureInfo.InvariantCulture, $$"""
            public sealed class Probe_{{name}} : ChainRule.Generators.Tests.IModelProbe
            {
                private readonly {{name}} _model = new({{seed}});
                private readonly {{name}}.Trainer _trainer;
                private readonly {{t}}[] _inputs = [{{Literals(data)}}];
                private readonly {{targetsField}}
                public Probe_{{name}}() => _trainer = _model.CreateTrainer(new ChainRule.Training.TrainerOptions { MaxBatch = {{batch}} });
                public string Name => "{{name}}";
                public int ParameterCount => {{name}}.ParameterCount;
                public int RecurrentParameterCount => {{recurrentCount}};
                public double GetParameter(int index) => _model.Parameters[index];
                public void SetParameter(int index, double value) => _model.Parameters[index] = ({{t}})value;
                public double Loss() => _trainer.ComputeGradients(_inputs, _targets);
                public double LossAndGradients(double[] gradients)
                {
                    double loss = _trainer.ComputeGradients(_inputs, _targets);
                    for (int i = 0; i < gradients.Length; i++)
                        gradients[i] = _model.Gradients[i];
                    return loss;
                }
            }
            """);
    }
}
