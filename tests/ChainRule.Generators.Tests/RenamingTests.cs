using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ChainRule.Generators.Lowering;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Generators.Tests;

/// <summary>
/// The proof that generated identifiers are unique by construction (DESIGN §7): random models, each generated under
/// plain names and under an adversarial renaming — layer names that mimic the locals other layers generate
/// (<c>Body0Down</c>, <c>Dlogits</c>, <c>Body0_up_out</c>), keywords with <c>@</c>, names that differ only in case,
/// the generated methods' own parameter names, non-ASCII names — in a keyword-escaped namespace, inside a keyword-named
/// containing type, with type names that differ only in case. All compile together, with zero warnings; every
/// renamed model must reproduce its plain twin bit for bit: parameters from the seed, Predict, PredictBatch, three
/// training steps' losses, gradients and parameters, the running statistics and the predictions after training.
/// </summary>
public class RenamingTests(ITestOutputHelper log)
{
    private const int Seed = 20261201;
    private const int ModelCount = 32;
    private static readonly string[] Activations = ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Gelu", "Silu"];
    private static readonly string[] Losses = ["SoftmaxCrossEntropy", "MeanSquaredError", "BinaryCrossEntropyWithLogits"];
    private static readonly string[] Norms = ["LayerNorm", "RMSNorm", "BatchNorm"];

    /// <summary>Names drawn when a layer does not mimic another: keywords, the generated methods' locals, near-misses of generated members, odd but legal identifiers.</summary>
    private static readonly string[] Pool =
    [
        "@class", "@event", "@in", "@out", "@this", "@params", "@int", "@default", "@var", "@record", "@value", "@field", "@namespace",
        "@operator", "@base", "@string", "@dynamic", "@nameof", "@async", "@partial",
        "acts", "dacts", "inputs", "input", "B", "b", "report", "squares", "loss", "parameters", "gradients", "statistics", "training",
        "seed", "layer", "start", "batch", "output", "outputs", "labels", "targets", "totalNorm", "applied", "lambda", "epsilon", "model",
        "Parameter", "ParametersView", "Gradient", "Parameters_", "Inputs", "Outputs", "InputSizes", "Model", "Steps",
        "_", "__", "_0", "___", "Body_", "body__0", "_out", "Δ", "δ", "Über", "ÜBER", "über", "Hidden", "HIDDEN", "hidden",
    ];

    [Fact]
    public void RenamingLayersNeverChangesANumber()
    {
        var random = new Random(Seed);
        var cases = new List<(string Plain, string Renamed)>();
        var sources = new List<(string Id, string Source)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ModelCount; i++)
        {
            ModelDeclaration model = RandomModel(random);
            // Renamed twins pair up as model3 and MODEL3, whose file names would collide ignoring case.
            string typeName = i switch { 0 => "@class", 1 => "@event", _ => (i % 2 == 0 ? "model" : "MODEL") + (i / 2).ToString(CultureInfo.InvariantCulture) };
            var plain = new ModelNaming("Plain", null, $"Model{i}", PlainNames(model));
            var renamed = new ModelNaming("Renamed.@namespace", "@operator", typeName, AdversarialNames(random, model, typeName.TrimStart('@')));
            string id = i.ToString(CultureInfo.InvariantCulture);
            sources.Add(($"plain{id}", TraceHarness.Render(model, plain, $"plain{id}")));
            sources.Add(($"renamed{id}", TraceHarness.Render(model, renamed, $"renamed{id}")));
            cases.Add(($"plain{id}", $"renamed{id}"));
            names.UnionWith(renamed.LayerNames);
            log.WriteLine($"{i}: {model.Precision} {model.Loss} [{string.Join(", ", model.Layers.Select(l => l.Attribute.Replace("global::ChainRule.", "", StringComparison.Ordinal)))}]");
            log.WriteLine($"    {typeName}: {string.Join(", ", renamed.LayerNames)}");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var probes = TraceHarness.CompileProbes(sources, "Renaming");
        log.WriteLine($"compiled in {clock.Elapsed}");
        foreach (var (plain, renamed) in cases)
            TraceHarness.AssertIdentical(probes[plain].Trace(), probes[renamed].Trace(), $"{plain} renamed as {renamed}");
        log.WriteLine($"ran in {clock.Elapsed}");
        log.WriteLine($"{ModelCount} models × 2 namings, {names.Count} distinct adversarial layer names");
    }

    private static ModelDeclaration RandomModel(Random random)
    {
        string precision = random.Next(2) == 0 ? "Float" : "Double";
        string loss = Losses[random.Next(Losses.Length)];
        int outputs = loss == "SoftmaxCrossEntropy" ? random.Next(2, 5) : random.Next(1, 4);
        var layers = new List<LayerDeclaration>();
        int hiddenLayers = random.Next(1, 5);
        for (int j = 0; j < hiddenLayers; j++)
        {
            string activation = $"global::ChainRule.Activation.{Activations[random.Next(Activations.Length)]}";
            string norm = Norms[random.Next(Norms.Length)];
            layers.Add(random.Next(3) switch
            {
                0 => new LayerDeclaration($"[global::ChainRule.Dense({random.Next(2, 7)}, {activation})]", "DenseLayer"),
                1 => new LayerDeclaration($"[global::ChainRule.{norm}]", "NormLayer"),
                _ => new LayerDeclaration(
                    $"[global::ChainRule.Residual(global::ChainRule.Norm.{norm}, {activation}, Repeat = {random.Next(1, 4)}"
                    + (random.Next(2) == 0 ? $", Hidden = {random.Next(2, 6)}" : "")
                    + (random.Next(2) == 0 ? ", Placement = global::ChainRule.NormPlacement.Post" : "")
                    + (random.Next(2) == 0 ? ", ReZero = true" : "") + ")]",
                    "ResidualStack"),
            });
        }
        layers.Add(new LayerDeclaration($"[global::ChainRule.Dense({outputs})]", "DenseLayer"));
        return ModelDeclaration.Create(random, precision, loss, random.Next(2, 6), outputs, layers);
    }

    private static List<string> PlainNames(ModelDeclaration model) =>
        model.Layers.Select((layer, j) => j == model.Layers.Count - 1 ? "Logits" : layer.View switch
        {
            "DenseLayer" => $"Hidden{j}",
            "NormLayer" => $"Norm{j}",
            _ => $"Body{j}",
        }).ToList();

    /// <summary>
    /// Names assigned in a random direction, most of them mimicking a local that an already named layer generates, so
    /// that both the mimic and the mimicked come first in some models.
    /// </summary>
    private static List<string> AdversarialNames(Random random, ModelDeclaration model, string typeName)
    {
        int count = model.Layers.Count;
        var names = new string?[count];
        var used = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<int> order = random.Next(2) == 0 ? Enumerable.Range(0, count) : Enumerable.Range(0, count).Reverse();
        foreach (int j in order)
        {
            var named = Enumerable.Range(0, count).Where(k => names[k] is not null).ToList();
            while (names[j] is null)
            {
                string candidate = named.Count > 0 && random.Next(10) < 7
                    ? Mimic(random, names[named[random.Next(named.Count)]]!.TrimStart('@'))
                    : Pool[random.Next(Pool.Length)].TrimStart('@');
                if (!SyntaxFacts.IsValidIdentifier(candidate) || candidate == typeName || TraceHarness.GeneratedMembers.Contains(candidate) || !used.Add(candidate))
                    continue;
                names[j] = SyntaxFacts.GetKeywordKind(candidate) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(candidate) != SyntaxKind.None
                    ? "@" + candidate
                    : candidate;
            }
        }
        return names.Select(n => n!).ToList();
    }

    /// <summary>A name that, snake-cased, is one of the locals (or stems of locals) the layer named <paramref name="other"/> generates.</summary>
    private static string Mimic(Random random, string other)
    {
        string snake = NetworkLowering.ToSnakeCase(other);
        string[] mimics =
        [
            other + "0Down", other + "0Up", other + "1In", other + "0_up_out", other + "0Norm", other + "0Sum", other + "Out", other + "Pre",
            other + "_weight", other + "Weight", other + "Bias", other + "Random", other + "Gamma", other + "2", other + "_2", other + "_0", other + "0",
            "D" + snake, "d" + other, "D" + other, other.ToUpperInvariant(), other.ToLowerInvariant(), snake, snake + "_out", "d" + snake + "_out",
            other + "0_down2", snake + "0_up_weight",
        ];
        return mimics[random.Next(mimics.Length)];
    }
}
