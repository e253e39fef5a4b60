using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>Incremental caching, the purity of what flows down the pipeline, and robustness on malformed input.</summary>
public class PipelineTests
{
    private const string Model = """
        using ChainRule;
        namespace Samples;
        [Network(Inputs = 64)]
        public partial class DigitClassifier
        {
            [Dense(32, Activation.ReLU)] public partial DenseLayer<float> Hidden { get; }
            [Dense(10)] public partial DenseLayer<float> Logits { get; }
        }
        """;

    [Fact]
    public void UnrelatedEditLeavesEveryStepCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Model);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Samples; public static class Elsewhere { public static int Answer => 42; }",
            (CSharpParseOptions)compilation.SyntaxTrees[0].Options, "Elsewhere.cs"));
        var reasons = GeneratorHarness.StepReasons(driver.RunGenerators(edited).GetRunResult());

        Assert.Equal(GeneratorHarness.TrackedStepNames.Where(n => n != TrackingNames.Diagnostics).Order(), reasons.Keys.Where(k => reasons[k].Count > 0).Order());
        foreach (var (step, stepReasons) in reasons)
            Assert.All(stepReasons, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {reason}"));
    }

    [Fact]
    public void ChangedAttributeArgumentRegenerates()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Model);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees[0];
        SyntaxTree changed = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Model.Replace("Dense(32", "Dense(48")));
        var result = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, changed)).GetRunResult();
        var reasons = GeneratorHarness.StepReasons(result);

        Assert.Contains(IncrementalStepRunReason.Modified, reasons[TrackingNames.Lower]);
        Assert.Contains(IncrementalStepRunReason.Modified, reasons[TrackingNames.Plan]);
        Assert.Contains("Dense 64 → 48, ReLU", result.Results[0].GeneratedSources[0].SourceText.ToString());
    }

    /// <summary>File names are chosen knowing every model's key, but editing one model must not re-emit the others.</summary>
    [Fact]
    public void EditingOneModelLeavesTheOthersSourceCached()
    {
        string models = Model + """

            [Network(Inputs = 8)]
            public partial class Other
            {
                [Dense(3)] public partial DenseLayer<float> Logits { get; }
            }
            """;
        CSharpCompilation compilation = GeneratorHarness.Compile(models);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees[0];
        SyntaxTree changed = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(models.Replace("Dense(32", "Dense(48")));
        GeneratorRunResult result = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, changed)).GetRunResult().Results[0];

        // The source outputs: the edited model's (modified), the other model's and the diagnostics' (both cached).
        var sources = result.TrackedOutputSteps["SourceOutput"].SelectMany(step => step.Outputs).Select(o => o.Reason).ToList();
        Assert.Equal(3, sources.Count);
        Assert.Single(sources, reason => reason == IncrementalStepRunReason.Modified);
        Assert.Equal(2, sources.Count(reason => reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    /// <summary>A stem is handed out only when every role's name is free, so every role must be in the list checked.</summary>
    [Fact]
    public void EveryLocalRoleIsCheckedForCollisions()
    {
        var declared = typeof(Role).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order().ToList();
        Assert.NotEmpty(declared);
        Assert.Equal(declared, Role.All.Order());
    }

    [Fact]
    public void NothingPastParsingHoldsCompilerObjects()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Model + """

            [Network(Inputs = 0)]
            public partial class Broken { [Dense(2)] public partial DenseLayer<float> Output { get; } }
            """);
        var result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult();
        var outputs = result.Results.SelectMany(r => r.TrackedSteps)
            .Where(step => GeneratorHarness.TrackedStepNames.Contains(step.Key))
            .SelectMany(step => step.Value.SelectMany(run => run.Outputs).Select(o => o.Value))
            .ToList();

        Assert.Contains(outputs, o => o is ParseResult { Spec: not null });
        Assert.Contains(outputs, o => o is DiagnosticInfo);
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree) };
        foreach (object output in outputs)
            AssertNoForbidden(output, forbidden, new HashSet<object>(ReferenceEqualityComparer.Instance), output.GetType().Name);
    }

    private static void AssertNoForbidden(object? value, Type[] forbidden, HashSet<object> seen, string path)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
            return;
        Type type = value.GetType();
        Assert.False(forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} holds a {type.Name}");
        if (!type.IsValueType && !seen.Add(value))
            return;
        if (value is IEnumerable sequence)
        {
            int index = 0;
            foreach (object? item in sequence)
                AssertNoForbidden(item, forbidden, seen, $"{path}[{index++}]");
        }
        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertNoForbidden(field.GetValue(value), forbidden, seen, $"{path}.{field.Name}");
    }

    [Theory]
    [InlineData("[Network] public partial class A { }")]
    [InlineData("[Network(Inputs = )] public partial class A { [Dense()] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(\"ten\")] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] public partial DenseLayer X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] public partial int X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] public partial DenseLayer<float> X { get; } [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] public partial DenseLayer<float> X { get => default; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] DenseLayer<float> field; }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2, Activation.ReLU, Init = Init.HeNormal, Init = Init.Zeros)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] public partial DenseLayer<float> X { get; }")]
    [InlineData("[Network(Inputs = 3)] public partial record A { [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial struct A { [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)][Network(Inputs = 4)] public partial class A { [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A : Missing { [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] public partial DenseLayer<float> this[] { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)][Dense(3)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { public A(int) { } [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { partial void OnGradientReport(; [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial record struct A { [Dense(2)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] file partial record A { [LayerNorm(Epsilon = 1e999)] public partial NormLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = int.MaxValue, Hidden = int.MaxValue)] public partial ResidualStack<float> X { get; } }")]
    public void MalformedDeclarationsNeverThrow(string declaration)
    {
        GeneratorOutput output = GeneratorHarness.Run("using ChainRule;\n" + declaration);
        Assert.All(output.Diagnostics, d => Assert.StartsWith("CR", d.Id, StringComparison.Ordinal));
        AssertNeverSilent(output, declaration);
    }

    /// <summary>
    /// Never silent (DESIGN §7): the user sees an error on their own declaration, a CR one or the compiler's, rather
    /// than only errors inside generated code (which may cascade from the user's).
    /// </summary>
    private static void AssertNeverSilent(GeneratorOutput output, string declaration)
    {
        bool crError = output.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        var userErrors = output.Compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath == GeneratorHarness.ModelPath).ToList();
        var generatedErrors = output.Compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath != GeneratorHarness.ModelPath).Take(3);
        Assert.True(crError || userErrors.Count > 0,
            $"no error on the declaration itself, only in generated code: {declaration}\n{string.Join("\n", generatedErrors)}");
    }

    // Once generated code that did not compile with no error on the declaration: a parameter count past int (now
    // CR0015) and a layer property the user already implemented (now CR0017).
    [Theory]
    [InlineData("[Network(Inputs = int.MaxValue)] public partial class A { [Dense(int.MaxValue)] public partial DenseLayer<float> X { get; } }")]
    [InlineData("[Network(Inputs = 3)] public partial class A { [Dense(2)] public partial DenseLayer<float> X { get; } public partial DenseLayer<float> X => default; }")]
    public void Declarations_that_only_generated_code_rejects_are_a_CR_error(string declaration)
    {
        GeneratorOutput output = GeneratorHarness.Run("using ChainRule;\n" + declaration);
        AssertNeverSilent(output, declaration);
    }

    [Theory]
    [InlineData(typeof(Activation), typeof(ActivationKind))]
    [InlineData(typeof(Loss), typeof(LossKind))]
    [InlineData(typeof(Init), typeof(InitKind))]
    [InlineData(typeof(Precision), typeof(PrecisionKind))]
    public void GeneratorEnumsMirrorTheRuntimeEnums(Type runtime, Type mirror)
    {
        var expected = Enum.GetValues(runtime).Cast<object>().Select(v => (Enum.GetName(runtime, v), Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)));
        var actual = Enum.GetValues(mirror).Cast<object>().Select(v => (Enum.GetName(mirror, v), Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(expected, actual);
    }
}
