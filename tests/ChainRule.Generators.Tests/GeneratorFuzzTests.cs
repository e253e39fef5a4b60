using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Generators.Tests;

/// <summary>
/// Seeded fuzzing of the generator (DESIGN §6, §7): random valid declarations compile with no diagnostic at all, in
/// the user's code or the generated code; declarations broken in one random way always get an error on the user's
/// declaration and never one inside generated code; sources cut or mutated at random never make the generator throw,
/// and whenever no error is reported, the generated code compiles. Each failure prints the seed and the source.
/// </summary>
public class GeneratorFuzzTests(ITestOutputHelper log)
{
    private const int Seed = 20261201;

    /// <summary>Valid models per compilation: one generator run and one compilation check many declarations.</summary>
    private const int ModelsPerCompilation = 100;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void RandomValidDeclarationsCompileWithoutDiagnostics(int batch)
    {
        var random = new Random(Seed + batch);
        var models = Enumerable.Range(0, ModelsPerCompilation).Select(i => RandomNetwork.Valid(random, $"Fuzz{batch}.M{i}")).ToList();
        string source = string.Join("\n", models.Select(m => m.Source));

        GeneratorOutput output = GeneratorHarness.Run(source);

        // Random networks may well train badly: the stability lints are advice, not a problem with the declaration.
        var problems = output.Diagnostics.Where(d => !StabilityLint.Is(d)).Concat(output.CompilationDiagnostics).Select(Describe).ToList();
        if (problems.Count > 0)
            log.WriteLine(source);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.Equal(models.Count, output.Files.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void DeclarationsBrokenOneWayGetAnErrorOnTheDeclaration(int batch)
    {
        var random = new Random(Seed + 100 + batch);
        var models = Enumerable.Range(0, ModelsPerCompilation).Select(i => RandomNetwork.Broken(random, $"Broken{batch}.M{i}")).ToList();
        string source = string.Join("\n", models.Select(m => m.Source));

        GeneratorOutput output = GeneratorHarness.Run(source);

        var all = output.Diagnostics.Concat(output.Compilation.GetDiagnostics()).ToList();
        var inGeneratedCode = all.Where(d => d.Location.SourceTree is { } tree && tree.FilePath != GeneratorHarness.ModelPath && d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(inGeneratedCode.Count == 0, string.Join("\n", inGeneratedCode.Take(20).Select(Describe)));

        int offset = 0;
        var failures = new List<string>();
        foreach (var model in models)
        {
            var span = new TextSpan(offset, model.Source.Length);
            offset += model.Source.Length + 1;
            bool flagged = all.Any(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath == GeneratorHarness.ModelPath && span.Contains(d.Location.SourceSpan));
            if (!flagged)
                failures.Add($"{model.Name} ({model.Breakage}) got no error:\n{model.Source}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MutatedSourcesNeverMakeTheGeneratorThrow(int batch)
    {
        const int Cases = 400;
        var random = new Random(Seed + 200 + batch);
        for (int i = 0; i < Cases; i++)
        {
            string valid = RandomNetwork.Valid(random, $"Mutant.M{i}").Source;
            string mutated = Mutate(random, valid);
            CSharpCompilation input = GeneratorHarness.Compile(mutated);
            GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out var diagnostics);
            Exception? exception = driver.GetRunResult().Results.Select(r => r.Exception).FirstOrDefault(e => e is not null);
            if (exception is not null)
                Assert.Fail($"The generator threw {exception.GetType().Name}: {exception.Message}\non case {batch}/{i}:\n{mutated}");

            // Where neither the generator nor the user's own code has an error, the generated code must compile cleanly.
            bool userErrors = input.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) || diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
            if (userErrors)
                continue;
            var generatedProblems = output.GetDiagnostics()
                .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && tree.FilePath != GeneratorHarness.ModelPath)
                .Select(Describe).ToList();
            if (generatedProblems.Count > 0)
                Assert.Fail($"Generated code does not compile cleanly for a declaration with no error, case {batch}/{i}:\n{string.Join("\n", generatedProblems)}\n{mutated}");
        }
    }

    /// <summary>One random edit: a cut, a deleted or duplicated span, a changed number, a swapped token.</summary>
    private static string Mutate(Random random, string source)
    {
        int at = random.Next(source.Length);
        int length = Math.Min(source.Length - at, 1 + random.Next(12));
        switch (random.Next(7))
        {
            case 0: return source[..at];
            case 1: return source.Remove(at, length);
            case 2: return source.Insert(at, source.Substring(at, length));
            case 3: return ReplaceNumber(random, source);
            case 4: return source.Insert(at, Pick(random, ["@", "{", "}", "(", ")", ";", ",", "[", "]", "=", "\"", "/*", "partial ", "static ", "<", ">"]));
            case 5: return source.Replace(Pick(random, ["partial ", "public ", "{ get; }", "Activation.", "Norm.", "Loss.", "float", "double", "Dense", "Residual"]), Pick(random, ["", "private ", "{ get; set; }", "(Activation)", "Init.", "int", "NormLayer<float>", "LayerNorm", "Dense"]));
            default:
                var lines = source.Split('\n').ToList();
                int line = random.Next(lines.Count);
                lines.Insert(random.Next(lines.Count), lines[line]);
                return string.Join("\n", lines);
        }
    }

    private static string ReplaceNumber(Random random, string source)
    {
        var digits = Enumerable.Range(0, source.Length).Where(i => char.IsDigit(source[i]) && (i == 0 || !char.IsLetterOrDigit(source[i - 1]))).ToList();
        if (digits.Count == 0)
            return source;
        int start = digits[random.Next(digits.Count)];
        int end = start;
        while (end < source.Length && (char.IsDigit(source[end]) || source[end] is '.' or 'e' or '-' or '_'))
            end++;
        string replacement = Pick(random, ["0", "-1", "-2147483648", "2147483647", "70000", "1000000", "1e-50", "1e300", "0.5", "double.NaN", "1e-5"]);
        return source[..start] + replacement + source[end..];
    }

    private static string Describe(Diagnostic d) => $"{d.Id} {d.Severity} at {d.Location.GetLineSpan()}: {d.GetMessage(CultureInfo.InvariantCulture)}";

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A random network declaration, written as a user would write it.</summary>
    private sealed record RandomNetwork(string Name, string Source, string Breakage)
    {
        private static readonly string[] Activations = ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Gelu", "Silu"];
        private static readonly string[] Inits = ["HeNormal", "HeUniform", "XavierNormal", "XavierUniform", "LeCunNormal", "LeCunUniform", "Orthogonal"];
        private static readonly string[] Norms = ["LayerNorm", "RMSNorm", "BatchNorm"];
        private static readonly string[] Losses = ["SoftmaxCrossEntropy", "MeanSquaredError", "BinaryCrossEntropyWithLogits"];
        private static readonly string[] Accessibilities = ["public", "internal", "private"];

        /// <summary>Layer and class names a person might choose, including ones that resemble what a generator invents.</summary>
        private static readonly string[] Names =
            ["Hidden", "Logits", "Output", "Body", "Body0", "Body0Up", "Body0Down", "Dlogits", "Dhidden", "Input", "Encoder", "Head", "Stem", "Blocks", "X", "Y", "Up", "Down", "Layer1", "Layer_1", "hidden", "HIDDEN", "@event", "@class", "Model", "Acts", "Dacts", "Report", "Random", "Seed", "B", "Batch", "Gamma", "Beta"];

        public static RandomNetwork Valid(Random random, string qualifiedName) => Build(random, qualifiedName, broken: false);

        public static RandomNetwork Broken(Random random, string qualifiedName) => Build(random, qualifiedName, broken: true);

        private static RandomNetwork Build(Random random, string qualifiedName, bool broken)
        {
            int dot = qualifiedName.LastIndexOf('.');
            string ns = qualifiedName[..dot];
            string className = qualifiedName[(dot + 1)..];
            bool isDouble = random.Next(3) == 0;
            string t = isDouble ? "double" : "float";
            string loss = Pick(random, Losses);
            int inputs = 1 + random.Next(24);
            int layerCount = 1 + random.Next(5);

            var layers = new List<string>();
            var usedNames = new HashSet<string>(StringComparer.Ordinal);
            int width = inputs;
            for (int i = 0; i < layerCount; i++)
            {
                bool last = i == layerCount - 1;
                string name = UniqueName(random, usedNames);
                string access = Pick(random, Accessibilities);
                if (last)
                {
                    int units = 1 + random.Next(12);
                    string activation = loss == "MeanSquaredError" ? Pick(random, Activations) : "Identity";
                    layers.Add($"[Dense({units}{ActivationArgument(random, activation, last)}{InitArgument(random)})] {access} partial DenseLayer<{t}> {name} {{ get; }}");
                    width = units;
                    continue;
                }
                switch (random.Next(3))
                {
                    case 0:
                        int units = 1 + random.Next(24);
                        string bias = random.Next(4) == 0 ? ", Bias = false" : "";
                        layers.Add($"[Dense({units}{ActivationArgument(random, Pick(random, Activations), last)}{InitArgument(random)}{bias})] {access} partial DenseLayer<{t}> {name} {{ get; }}");
                        width = units;
                        break;
                    case 1:
                        var normOptions = new List<string>();
                        if (random.Next(3) == 0) normOptions.Add($"Epsilon = {Pick(random, ["1e-5", "1e-3", "0.01", "1e-6"])}");
                        if (random.Next(3) == 0) normOptions.Add($"Features = {width}");
                        string options = normOptions.Count > 0 ? $"({string.Join(", ", normOptions)})" : "";
                        layers.Add($"[{Pick(random, Norms)}{options}] {access} partial NormLayer<{t}> {name} {{ get; }}");
                        break;
                    default:
                        var residual = new List<string> { $"Norm.{Pick(random, Norms)}", $"Activation.{Pick(random, Activations)}" };
                        if (random.Next(2) == 0) residual.Add($"Repeat = {1 + random.Next(3)}");
                        if (random.Next(2) == 0) residual.Add($"Hidden = {1 + random.Next(16)}");
                        if (random.Next(3) == 0) residual.Add($"Width = {width}");
                        if (random.Next(2) == 0) residual.Add("Placement = NormPlacement.Post");
                        if (random.Next(2) == 0) residual.Add("ReZero = true");
                        if (random.Next(4) == 0) residual.Add("Epsilon = 1e-4");
                        layers.Add($"[Residual({string.Join(", ", residual)})] {access} partial ResidualStack<{t}> {name} {{ get; }}");
                        break;
                }
            }

            var network = new List<string> { $"Inputs = {inputs}" };
            if (loss != "SoftmaxCrossEntropy" || random.Next(2) == 0) network.Add($"Loss = Loss.{loss}");
            if (isDouble) network.Add("Precision = Precision.Double");
            string classModifiers = $"{Pick(random, ["public", "internal"])}{(random.Next(4) == 0 ? " sealed" : "")} partial";

            string breakage = "none";
            if (broken)
                breakage = Break(random, ref inputs, network, layers, ref classModifiers, t, width);

            var text = new StringBuilder();
            text.Append("namespace ").Append(ns).Append(" {\n");
            text.Append("using ChainRule;\n");
            text.Append($"[Network({string.Join(", ", network)})]\n");
            text.Append($"{classModifiers} class {className}\n{{\n");
            foreach (string layer in layers)
                text.Append("    ").Append(layer).Append('\n');
            text.Append("}\n}");
            return new RandomNetwork(qualifiedName, text.ToString(), breakage);
        }

        /// <summary>Breaks the declaration in exactly one way that must be reported as an error.</summary>
        private static string Break(Random random, ref int inputs, List<string> network, List<string> layers, ref string classModifiers, string t, int lastWidth)
        {
            int layer = random.Next(layers.Count);
            switch (random.Next(11))
            {
                case 0:
                    network[0] = $"Inputs = {Pick(random, ["0", "-1", "-2147483648"])}";
                    return "non-positive inputs";
                case 1:
                    network.RemoveAt(0);
                    return "no inputs";
                case 2:
                    classModifiers = classModifiers.Replace(" partial", "");
                    return "class not partial";
                case 3:
                    layers.Clear();
                    return "no layers";
                case 4:
                    layers[layer] = layers[layer].Replace(" partial ", " ");
                    return "layer not partial";
                case 5:
                    layers[layer] = layers[layer].Replace($"<{t}>", t == "float" ? "<double>" : "<float>");
                    return "element type mismatch";
                case 6:
                    layers.Insert(layer, $"[Dense({Pick(random, ["0", "-3", "-2147483648"])})] public partial DenseLayer<{t}> Broken {{ get; }}");
                    return "non-positive units";
                case 7:
                    layers.Insert(layer, $"[Dense(4, Init = Init.Zero)] public partial DenseLayer<{t}> Zeroed {{ get; }}");
                    return "zero init";
                case 8:
                    layers.Insert(layer, $"[Dense(4, (Activation){Pick(random, ["99", "-1"])})] public partial DenseLayer<{t}> Undefined {{ get; }}");
                    return "undefined activation";
                case 9:
                    layers.Add($"[LayerNorm(Features = {lastWidth + 1 + random.Next(5)})] public partial NormLayer<{t}> Mismatched {{ get; }}");
                    return "norm width mismatch";
                default:
                    layers.Insert(layer, $"[Residual(Norm.LayerNorm, Activation.Gelu, Repeat = {Pick(random, ["0", "-1"])})] public partial ResidualStack<{t}> Stack {{ get; }}");
                    return "non-positive repeat";
            }
        }

        private static string UniqueName(Random random, HashSet<string> used)
        {
            while (true)
            {
                string name = Pick(random, Names);
                if (used.Add(name))
                    return name;
            }
        }

        private static string ActivationArgument(Random random, string activation, bool last) =>
            activation == "Identity" && random.Next(2) == 0 ? "" : $", Activation.{activation}";

        private static string InitArgument(Random random) => random.Next(4) == 0 ? $", Init = Init.{Pick(random, Inits)}" : "";
    }
}
