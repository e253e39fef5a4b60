using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text.Json;
using Xunit;

namespace ChainRule.Tests.Kernels.Recurrence;

/// <summary>
/// The forward passes against PyTorch's equations: the tests' element-by-element reference on random weights, and
/// <c>Serialization/Fixtures/torch_recurrent.json</c>, written by <c>torch_recurrent.py</c> from PyTorch 1.13's own
/// <c>nn.LSTM</c>, <c>nn.GRU</c> and <c>nn.RNN</c> in float64 (outputs and every gradient, truncated cases included).
/// </summary>
public class RecurrentForwardTests
{
    public static TheoryData<CellKind> KindData() => new(RecurrentGradientTests.Kinds);

    [Theory]
    [MemberData(nameof(KindData))]
    public void Forward_equals_the_equations_evaluated_element_by_element(CellKind kind)
    {
        Check<double>();
        Check<float>();

        void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            foreach (var (batch, steps, inputs, hidden) in new[] { (1, 1, 1, 1), (2, 3, 4, 5), (3, 17, 5, 9), (4, 20, 7, 16), (5, 6, 33, 40) })
            {
                var random = new Random(batch * 1000 + steps * 100 + hidden);
                var w = RecurrentWeights.Random(random, RecurrentReference.Gates(kind), inputs, hidden, 1 / Math.Sqrt(hidden) + 0.3);
                double[] x = NumericAssert.Random<double>(random, batch * steps * inputs);
                foreach (bool sequences in new[] { true, false })
                {
                    double[] expected = RecurrentReference.Run(kind, w, x, batch, steps, inputs, hidden, sequences);
                    double[] actual = RecurrentKernels.Run<T>(kind, w, x, batch, steps, inputs, hidden, sequences);
                    var (absolute, relative) = typeof(T) == typeof(float) ? (1e-5, 1e-4) : (1e-13, 1e-12);
                    NumericAssert.Close<double>(expected, actual, absolute, relative, $"{kind} {typeof(T).Name} B={batch} T={steps} F={inputs} H={hidden} sequences={sequences}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void The_float_backward_agrees_with_the_double_backward(CellKind kind)
    {
        const int batch = 5, steps = 13, inputs = 9, hidden = 19;
        foreach (var (sequences, truncate) in new[] { (true, 0), (false, 0), (true, 4), (false, 6) })
        {
            var random = new Random(HashCode.Combine(kind, sequences, truncate) & 0x7fffffff);
            var w = RecurrentWeights.Random(random, RecurrentReference.Gates(kind), inputs, hidden, 0.4);
            double[] x = NumericAssert.Random<double>(random, batch * steps * inputs);
            double[] dy = NumericAssert.Random<double>(random, sequences ? batch * steps * hidden : batch * hidden);
            var exact = Backward<double>(kind, w, x, dy, batch, steps, inputs, hidden, sequences, truncate);
            var single = Backward<float>(kind, w, x, dy, batch, steps, inputs, hidden, sequences, truncate);
            string label = $"{kind} float vs double, sequences={sequences} K={truncate}";
            for (int i = 0; i < exact.Length; i++)
            {
                double scale = exact[i].Select(Math.Abs).DefaultIfEmpty(0).Max();
                NumericAssert.Close<double>(exact[i], single[i], 1e-4 * scale + 1e-6, 1e-3, $"{label} gradient {i}");
            }
        }
    }

    /// <summary>The gradients of W_ih, W_hh, b_ih, b_hh, x and the per-step norms, computed in <typeparamref name="T"/>.</summary>
    private static double[][] Backward<T>(CellKind kind, RecurrentWeights w, double[] x, double[] dy, int batch, int steps, int inputs, int hidden, bool sequences, int truncate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] wih = RecurrentKernels.Convert<T>(w.WeightIH), whh = RecurrentKernels.Convert<T>(w.WeightHH);
        var y = new T[dy.Length];
        var cache = new T[RecurrentKernels.CacheLength(kind, batch, steps, inputs, hidden)];
        RecurrentKernels.Forward<T>(kind, y, cache, RecurrentKernels.Convert<T>(x), wih, whh, RecurrentKernels.Convert<T>(w.BiasIH), RecurrentKernels.Convert<T>(w.BiasHH),
            batch, steps, inputs, hidden, sequences);
        T[] dwih = new T[wih.Length], dwhh = new T[whh.Length], dbih = new T[w.BiasIH.Length], dbhh = new T[w.BiasHH.Length], dx = new T[x.Length];
        var norms = new double[steps];
        RecurrentKernels.Backward<T>(kind, dx, dwih, dwhh, dbih, dbhh, norms, RecurrentKernels.Convert<T>(dy), cache, wih, whh, batch, steps, inputs, hidden, sequences, truncate);
        return [NumericAssert.ToDouble<T>(dwih), NumericAssert.ToDouble<T>(dwhh), NumericAssert.ToDouble<T>(dbih), NumericAssert.ToDouble<T>(dbhh), NumericAssert.ToDouble<T>(dx), norms];
    }

    public static TheoryData<int> TorchCases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Fixture.Value.Count; i++)
        {
            if (RecurrentGradientTests.Kinds.Contains(Fixture.Value[i].Kind))
                data.Add(i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TorchCases))]
    public void Outputs_and_gradients_equal_pytorch_to_1e_12(int index)
    {
        TorchCase c = Fixture.Value[index];
        var w = new RecurrentWeights(c.Parameters["weight_ih_l0"], c.Parameters["weight_hh_l0"], c.Parameters["bias_ih_l0"], c.Parameters["bias_hh_l0"]);
        string label = $"torch case {index} ({c.Kind} B={c.Batch} T={c.Steps} F={c.Features} H={c.Hidden} sequences={c.ReturnSequences} K={c.Truncate})";
        var y = new double[c.Y.Length];
        var cache = new double[RecurrentKernels.CacheLength(c.Kind, c.Batch, c.Steps, c.Features, c.Hidden)];
        RecurrentKernels.Forward<double>(c.Kind, y, cache, c.X, w.WeightIH, w.WeightHH, w.BiasIH, w.BiasHH, c.Batch, c.Steps, c.Features, c.Hidden, c.ReturnSequences);
        NumericAssert.Close<double>(c.Y, y, 1e-12, 0, $"{label} y");

        var g = RecurrentGradientTests.Gradients.For(w, c.X.Length, c.Steps);
        RecurrentKernels.Backward<double>(c.Kind, g.Input, g.WeightIH, g.WeightHH, g.BiasIH, g.BiasHH, g.Norms, c.W, cache, w.WeightIH, w.WeightHH,
            c.Batch, c.Steps, c.Features, c.Hidden, c.ReturnSequences, c.Truncate);
        NumericAssert.Close<double>(c.Gradients["weight_ih_l0"], g.WeightIH, 1e-12, 0, $"{label} weight_ih_l0.grad");
        NumericAssert.Close<double>(c.Gradients["weight_hh_l0"], g.WeightHH, 1e-12, 0, $"{label} weight_hh_l0.grad");
        NumericAssert.Close<double>(c.Gradients["bias_ih_l0"], g.BiasIH, 1e-12, 0, $"{label} bias_ih_l0.grad");
        NumericAssert.Close<double>(c.Gradients["bias_hh_l0"], g.BiasHH, 1e-12, 0, $"{label} bias_hh_l0.grad");
        NumericAssert.Close<double>(c.Gradients["x"], g.Input, 1e-12, 0, $"{label} x.grad");
    }

    internal sealed record TorchCase(CellKind Kind, int Batch, int Steps, int Features, int Hidden, bool ReturnSequences, int Truncate,
        Dictionary<string, double[]> Parameters, double[] X, double[] Y, double[] W, Dictionary<string, double[]> Gradients);

    private static readonly Lazy<List<TorchCase>> Fixture = new(Load);

    private static List<TorchCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Serialization", "Fixtures", "torch_recurrent.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        var cases = new List<TorchCase>();
        foreach (JsonElement e in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            CellKind kind = (e.GetProperty("kind").GetString(), e.GetProperty("nonlinearity").GetString()) switch
            {
                ("lstm", _) => CellKind.Lstm,
                ("gru", _) => CellKind.Gru,
                ("rnn", "tanh") => CellKind.RnnTanh,
                ("rnn", "relu") => CellKind.RnnRelu,
                var other => throw new InvalidDataException($"Unknown cell {other}."),
            };
            static double[] Values(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();
            static Dictionary<string, double[]> Tensors(JsonElement map) => map.EnumerateObject().ToDictionary(p => p.Name, p => Values(p.Value));
            cases.Add(new TorchCase(kind, e.GetProperty("batch").GetInt32(), e.GetProperty("steps").GetInt32(), e.GetProperty("features").GetInt32(),
                e.GetProperty("hidden").GetInt32(), e.GetProperty("return_sequences").GetBoolean(), e.GetProperty("truncate").GetInt32(),
                Tensors(e.GetProperty("parameters")), Values(e.GetProperty("x")), Values(e.GetProperty("y")), Values(e.GetProperty("w")),
                Tensors(e.GetProperty("gradients"))));
        }
        return cases;
    }
}
