using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using ChainRule.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ChainRule.Generators.Tests;

/// <summary>Runs the generator over source text the way a user's build would, and exposes what it produced.</summary>
internal static class GeneratorHarness
{
    public const string ModelPath = "Models/Model.cs";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    internal static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "mscorlib.dll" or "netstandard.dll"))
            .Append(typeof(NetworkAttribute).Assembly.Location);
        return paths.Distinct().Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToImmutableArray();
    });

    public static CSharpCompilation Compile(string source, string path = ModelPath, string assemblyName = "Models") =>
        CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new NetworkGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>
    /// Runs the generator over <paramref name="source"/>, then once more over a clone of the same compilation and
    /// asserts that every tracked step of the second run was served from the cache.
    /// </summary>
    public static GeneratorOutput Run(string source)
    {
        CSharpCompilation input = Compile(source);
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out var generatorDiagnostics);
        GeneratorDriverRunResult result = driver.GetRunResult();
        AssertCached(driver.RunGenerators(input.Clone()).GetRunResult());
        var files = result.Results.SelectMany(r => r.GeneratedSources)
            .OrderBy(s => s.HintName, StringComparer.Ordinal)
            .Select(s => new GeneratedFile(s.HintName, s.SourceText.ToString()))
            .ToList();
        var exceptions = result.Results.Select(r => r.Exception).Where(e => e is not null).ToList();
        if (exceptions.Count > 0)
            throw new InvalidOperationException("The generator threw.", exceptions[0]);
        return new GeneratorOutput(files, generatorDiagnostics, output);
    }

    /// <summary>The reasons recorded for each output of each tracked step, by step name.</summary>
    public static Dictionary<string, List<IncrementalStepRunReason>> StepReasons(GeneratorDriverRunResult result) =>
        result.Results.SelectMany(r => r.TrackedSteps)
            .Where(step => TrackedStepNames.Contains(step.Key))
            .ToDictionary(step => step.Key, step => step.Value.SelectMany(run => run.Outputs).Select(o => o.Reason).ToList());

    public static readonly string[] TrackedStepNames = [TrackingNames.Parse, TrackingNames.Lower, TrackingNames.Plan, TrackingNames.Diagnostics];

    public static void AssertCached(GeneratorDriverRunResult rerun)
    {
        foreach (var (step, reasons) in StepReasons(rerun))
        {
            var uncached = reasons.Where(r => r is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)).ToList();
            if (uncached.Count > 0)
                throw new Xunit.Sdk.XunitException($"Step '{step}' re-ran on an unchanged compilation: {string.Join(", ", uncached)}.");
        }
    }
}

/// <summary>The stability lints (CR0020–CR0023): advice on how a valid network will train, which random or
/// deliberately unusual test networks are free to earn.</summary>
internal static class StabilityLint
{
    public static bool Is(Diagnostic diagnostic) => diagnostic.Id is "CR0020" or "CR0021" or "CR0022" or "CR0023";
}

internal sealed record GeneratedFile(string HintName, string Text);

internal sealed record GeneratorOutput(IReadOnlyList<GeneratedFile> Files, ImmutableArray<Diagnostic> Diagnostics, Compilation Compilation)
{
    /// <summary>Errors and warnings of the user's code plus the generated code, as the C# compiler would report them.</summary>
    public IEnumerable<Diagnostic> CompilationDiagnostics =>
        Compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning);
}
