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

namespace ChainRule.Generators.Tests;

/// <summary>
/// Runs a compiled model through everything that produces a number: construction from a seed, Predict, PredictBatch
/// (over more rows than one prediction chunk), training steps, and the state they leave. Implemented by probes generated
/// beside the models, in the same compilation.
/// </summary>
public interface ITraceProbe
{
    string Name { get; }

    /// <summary>Every number the run produced, in a fixed order: parameters, outputs, losses, gradients, running statistics.</summary>
    double[] Trace();
}

/// <summary>A layer of a model under test, without its name: the attribute and the view type, <c>{T}</c> for the element type.</summary>
internal sealed record LayerDeclaration(string Attribute, string View);

/// <summary>A model under test, without its names: architecture, data and seed.</summary>
internal sealed record ModelDeclaration(
    string Precision, string Loss, int Inputs, int Outputs, IReadOnlyList<LayerDeclaration> Layers,
    int Batch, int Seed, double[] Data, int[] Labels, double[] Targets, double[] PredictData)
{
    public string ElementType => Precision == "Double" ? "double" : "float";

    /// <summary>Rows PredictBatch runs on: more than the generated model's prediction chunk of 16, so a second chunk runs.</summary>
    public const int PredictRows = 19;

    public static ModelDeclaration Create(Random random, string precision, string loss, int inputs, int outputs, IReadOnlyList<LayerDeclaration> layers)
    {
        // BatchNorm's training forward needs at least two rows.
        int batch = random.Next(2, 6);
        return new ModelDeclaration(precision, loss, inputs, outputs, layers, batch, random.Next(),
            Enumerable.Range(0, batch * inputs).Select(_ => random.NextDouble() * 4 - 2).ToArray(),
            Enumerable.Range(0, batch).Select(_ => random.Next(outputs)).ToArray(),
            Enumerable.Range(0, batch * outputs).Select(_ => loss == "MeanSquaredError" ? random.NextDouble() * 2 - 1 : random.NextDouble()).ToArray(),
            Enumerable.Range(0, PredictRows * inputs).Select(_ => random.NextDouble() * 4 - 2).ToArray());
    }
}

/// <summary>Where and under which names a <see cref="ModelDeclaration"/> is written: each name as C# source, <c>@</c> included.</summary>
internal sealed record ModelNaming(string Namespace, string? ContainingType, string TypeName, IReadOnlyList<string> LayerNames);

internal static class TraceHarness
{
    /// <summary>Generated members and the type's own name: a layer named like one is a declaration error, not a renaming.</summary>
    public static readonly HashSet<string> GeneratedMembers = new(StringComparer.Ordinal)
    {
        "Parameters", "Gradients", "Predict", "PredictBatch", "InputSize", "OutputSize", "ParameterCount", "ActivationsPerSample",
        "FixedActivations", "PredictChunk", "LayerNames", "Forward", "Backward", "FirstNonFiniteLayer", "ClipAdaptive", "WeightNormOf",
        "CreateTrainer", "Trainer", "OnGradientReport", "_parameters", "_gradients", "_statistics", "_predictWorkspaces", "_weightNorms",
    };

    /// <summary>Writes the model's declaration and its probe, named <c>Trace_{id}</c>.</summary>
    public static string Render(ModelDeclaration model, ModelNaming naming, string id)
    {
        string t = model.ElementType;
        var source = new StringBuilder();
        source.AppendLine(CultureInfo.InvariantCulture, $"namespace {naming.Namespace}");
        source.AppendLine("{");
        if (naming.ContainingType is not null)
            source.AppendLine(CultureInfo.InvariantCulture, $"public static partial class {naming.ContainingType} {{");
        source.AppendLine(CultureInfo.InvariantCulture, $"[global::ChainRule.Network(Inputs = {model.Inputs}, Loss = global::ChainRule.Loss.{model.Loss}, Precision = global::ChainRule.Precision.{model.Precision})]");
        source.AppendLine(CultureInfo.InvariantCulture, $"public partial class {naming.TypeName}");
        source.AppendLine("{");
        for (int i = 0; i < model.Layers.Count; i++)
            source.AppendLine(CultureInfo.InvariantCulture, $"    {model.Layers[i].Attribute} public partial global::ChainRule.{model.Layers[i].View}<{t}> {naming.LayerNames[i]} {{ get; }}");
        source.AppendLine("}");
        if (naming.ContainingType is not null)
            source.AppendLine("}");
        source.AppendLine("}");

        string type = $"global::{naming.Namespace}.{(naming.ContainingType is null ? "" : naming.ContainingType + ".")}{naming.TypeName}";
        string Literals(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture) + (t == "float" ? "f" : "")));
        string targets = model.Loss == "SoftmaxCrossEntropy" ? $"new int[] {{ {string.Join(", ", model.Labels)} }}" : $"new {t}[] {{ {Literals(model.Targets)} }}";
        source.AppendLine(CultureInfo.InvariantCulture, $$"""
            public sealed class Trace_{{id}} : global::ChainRule.Generators.Tests.ITraceProbe
            {
                public string Name => "{{id}}";

                public double[] Trace()
                {
                    var trace = new global::System.Collections.Generic.List<double>();
                    void Add(global::System.ReadOnlySpan<{{t}}> values) { foreach ({{t}} value in values) trace.Add(value); }
                    var model = new {{type}}({{model.Seed}});
                    Add(model.Parameters);
                    var inputs = new {{t}}[] { {{Literals(model.Data)}} };
                    var predictInputs = new {{t}}[] { {{Literals(model.PredictData)}} };
                    var output = new {{t}}[{{type}}.OutputSize];
                    var outputs = new {{t}}[{{type}}.OutputSize * {{ModelDeclaration.PredictRows}}];
                    var targets = {{targets}};
                    model.Predict(new global::System.ReadOnlySpan<{{t}}>(predictInputs, 0, {{type}}.InputSize), output);
                    Add(output);
                    model.PredictBatch(predictInputs, outputs);
                    Add(outputs);
                    var trainer = model.CreateTrainer(new global::ChainRule.Training.TrainerOptions { MaxBatch = {{model.Batch}}, Optimizer = global::ChainRule.Training.Optimizers.Adam(0.05) });
                    for (int step = 0; step < 3; step++)
                    {
                        trace.Add(trainer.Step(inputs, targets));
                        Add(model.Gradients);
                        Add(model.Parameters);
                    }
                    trace.Add(trainer.Evaluate(inputs, targets));
                    Add(({{t}}[])typeof({{type}}).GetField("_statistics", global::System.Reflection.BindingFlags.NonPublic | global::System.Reflection.BindingFlags.Instance)!.GetValue(model)!);
                    model.Predict(new global::System.ReadOnlySpan<{{t}}>(predictInputs, 0, {{type}}.InputSize), output);
                    Add(output);
                    model.PredictBatch(predictInputs, outputs);
                    Add(outputs);
                    return trace.ToArray();
                }
            }
            """);
        return source.ToString();
    }

    /// <summary>Generates and compiles the sources in one compilation (zero errors and warnings required) and creates each probe.</summary>
    public static Dictionary<string, ITraceProbe> CompileProbes(IEnumerable<(string Id, string Source)> models, string assemblyName)
    {
        var list = models.ToList();
        string source = string.Join("\n", list.Select(m => m.Source));
        CSharpCompilation compilation = GeneratorHarness.Compile(source, assemblyName + ".cs", assemblyName)
            .AddReferences(MetadataReference.CreateFromFile(typeof(ITraceProbe).Assembly.Location));
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out var generatorDiagnostics);
        var exception = driver.GetRunResult().Results.Select(r => r.Exception).FirstOrDefault(e => e is not null);
        Assert.True(exception is null, $"The generator threw: {exception}");
        // The probed networks cover every layer combination, healthy or not: only the stability lints may be reported.
        Assert.Empty(generatorDiagnostics.Where(d => !StabilityLint.Is(d)));
        // Emit reports every diagnostic of the compilation; a separate GetDiagnostics would bind every method twice.
        using var image = new MemoryStream();
        var emit = generated.Emit(image);
        var problems = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));
        Assembly assembly = Assembly.Load(image.ToArray());
        return list.ToDictionary(m => m.Id, m => (ITraceProbe)Activator.CreateInstance(assembly.GetType("Trace_" + m.Id, throwOnError: true)!)!);
    }

    /// <summary>Requires the two traces to be equal bit for bit, printing the first differing elements (llm.c's check_tensor).</summary>
    public static void AssertIdentical(double[] expected, double[] actual, string what)
    {
        var differences = new StringBuilder();
        int count = 0;
        for (int i = 0; i < Math.Min(expected.Length, actual.Length); i++)
        {
            if (BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]))
                continue;
            if (count++ < 8)
                differences.AppendLine(CultureInfo.InvariantCulture, $"  [{i}] {expected[i]:R} vs {actual[i]:R}");
        }
        Assert.True(count == 0 && expected.Length == actual.Length,
            $"{what}: {count} of {expected.Length} values differ (lengths {expected.Length} and {actual.Length}):\n{differences}");
        // A trace of zeros would agree with any other; the run must have computed something.
        Assert.True(expected.Any(v => v != 0 && double.IsFinite(v)), $"{what}: the trace holds no nonzero finite value.");
    }
}
