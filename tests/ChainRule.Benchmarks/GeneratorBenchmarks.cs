using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ChainRule.Generators;
using ChainRule.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ChainRule.Benchmarks;

/// <summary>
/// Issue 15's budget, under 20 ms of generator time per model, on a 50-block pre-norm residual model: the incremental
/// driver's first run (a fresh compilation, so nothing is cached: parsing the model, lowering, the lints, emitting
/// ~0.4 MB of code), its rerun after an edit of another file (what every keystroke elsewhere costs), and
/// <see cref="StabilityAnalyzer"/> on the same source beside an analyzer that does nothing on the same symbols (the
/// difference is the analyzer's own work). Run on demand:
/// <c>dotnet run -c Release --project tests/ChainRule.Benchmarks -- --filter '*GeneratorBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const string Model = """
        using ChainRule;

        namespace Deep;

        [Network(Inputs = 64, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class Deep50
        {
            [Dense(128)]                                                          public partial DenseLayer<float> Embed { get; }
            [Residual(Norm.LayerNorm, Activation.Gelu, Repeat = 50, Hidden = 256)] public partial ResidualStack<float> Body { get; }
            [LayerNorm]                                                           public partial NormLayer<float> FinalNorm { get; }
            [Dense(10)]                                                           public partial DenseLayer<float> Logits { get; }
        }
        """;

    private const string Unrelated = "namespace Deep; public static class Elsewhere { public static int Answer => 42; }\n";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    private SyntaxTree _model = null!;
    private SyntaxTree _unrelated = null!;
    private ImmutableArray<MetadataReference> _references;
    private CSharpCompilation _compilation = null!;
    private GeneratorDriver _warm = null!;
    private int _edits;

    /// <summary>The model and another file, parsed once; a driver that has run once on them.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _model = CSharpSyntaxTree.ParseText(Model, ParseOptions, "Deep50.cs");
        _unrelated = CSharpSyntaxTree.ParseText(Unrelated, ParseOptions, "Elsewhere.cs");
        _references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "mscorlib.dll" or "netstandard.dll"))
            .Append(typeof(NetworkAttribute).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
        _compilation = Compile();
        _warm = CreateDriver().RunGenerators(_compilation);
        // A broken setup would time nothing: the model must be generated, with no diagnostic.
        GeneratorDriverRunResult result = _warm.GetRunResult();
        if (result.GeneratedTrees.Length != 1 || !result.Diagnostics.IsEmpty)
            throw new InvalidOperationException($"The benchmark model did not generate cleanly: {string.Join("; ", result.Diagnostics)}");
    }

    private CSharpCompilation Compile() =>
        CSharpCompilation.Create("Deep", [_model, _unrelated], _references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    private static GeneratorDriver CreateDriver(bool trackSteps = false, ISourceGenerator? generator = null) =>
        CSharpGeneratorDriver.Create([generator ?? new NetworkGenerator().AsSourceGenerator()], parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>
    /// The generator's own time as the compiler measures it (what <c>-p:ReportAnalyzer=true</c> reports, without the
    /// binding the compilation does anyway): the median of <paramref name="runs"/> first runs and reruns after an
    /// unrelated edit, and the median time of each tracked step. With <paramref name="otherGenerator"/> (the path of
    /// another build of ChainRule.Generators.dll, e.g. the previous commit's), both are timed in alternation, so that a
    /// shared machine's load falls on both alike. Printed by
    /// <c>dotnet run -c Release --project tests/ChainRule.Benchmarks -- generator-timing [other/ChainRule.Generators.dll]</c>.
    /// </summary>
    public static void PrintTiming(string? otherGenerator = null, int runs = 41)
    {
        var generators = new List<(string Label, ISourceGenerator Generator)> { ("this build", new NetworkGenerator().AsSourceGenerator()) };
        if (otherGenerator is not null)
        {
            var reference = new AnalyzerFileReference(Path.GetFullPath(otherGenerator), new IsolatedLoader());
            generators.Add((otherGenerator, reference.GetGenerators(LanguageNames.CSharp).Single()));
        }
        var benchmark = new GeneratorBenchmarks();
        benchmark.Setup();
        var first = generators.Select(_ => new List<double>()).ToArray();
        var firstCpu = generators.Select(_ => new List<double>()).ToArray();
        var rerun = generators.Select(_ => new List<double>()).ToArray();
        var steps = generators.Select(_ => new Dictionary<string, List<double>>()).ToArray();
        var warm = generators.Select(g => CreateDriver(generator: g.Generator).RunGenerators(benchmark._compilation)).ToArray();
        // Tiered JIT: the first few dozen calls of each method run unoptimized code, which BenchmarkDotNet's warmup hides.
        for (int i = 0; i < 40; i++)
        {
            foreach (var (_, generator) in generators)
                CreateDriver(generator: generator).RunGenerators(benchmark.Compile());
        }
        for (int i = 0; i < runs; i++)
        {
            for (int g = 0; g < generators.Count; g++)
            {
                CSharpCompilation fresh = benchmark.Compile();
                GeneratorDriver driver = CreateDriver(generator: generators[g].Generator);
                double cpuBefore = ThreadCpuMilliseconds();
                driver = driver.RunGenerators(fresh);
                firstCpu[g].Add(ThreadCpuMilliseconds() - cpuBefore);
                first[g].Add(GeneratorMilliseconds(driver));
                SyntaxTree edited = benchmark._unrelated.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Unrelated + "// edit " + i));
                rerun[g].Add(GeneratorMilliseconds(warm[g].RunGenerators(benchmark._compilation.ReplaceSyntaxTree(benchmark._unrelated, edited))));
                GeneratorRunResult tracked = CreateDriver(trackSteps: true, generators[g].Generator).RunGenerators(benchmark.Compile()).GetRunResult().Results[0];
                foreach (var (name, runSteps) in tracked.TrackedSteps.Concat(tracked.TrackedOutputSteps))
                {
                    if (!steps[g].TryGetValue(name, out var times))
                        steps[g][name] = times = new();
                    times.Add(runSteps.Sum(step => step.ElapsedTime.TotalMilliseconds));
                }
            }
        }
        Console.WriteLine($"{Environment.ProcessorCount} logical CPUs; medians of {runs} runs each, alternating");
        for (int g = 0; g < generators.Count; g++)
        {
            Console.WriteLine($"{generators[g].Label}: generator time, first run {Median(first[g]):F2} ms; after an unrelated edit {Median(rerun[g]):F2} ms");
            Console.WriteLine($"  CPU time of the thread over the whole first RunGenerators call (the compilation's own binding included): {Median(firstCpu[g]):F2} ms");
            Console.WriteLine("  first run's steps: " + string.Join(", ", steps[g].Where(s => Median(s.Value) >= 0.05)
                .OrderByDescending(s => Median(s.Value)).Select(s => $"{s.Key} {Median(s.Value):F2} ms")));
        }

        // Wall time inflates with a shared machine's load; the CPU time the driver's thread spent does not (Linux only).
        static double ThreadCpuMilliseconds() =>
            File.Exists("/proc/thread-self/schedstat")
                ? long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1e6
                : double.NaN;

        static double GeneratorMilliseconds(GeneratorDriver driver) => driver.GetTimingInfo().GeneratorTimes[0].ElapsedTime.TotalMilliseconds;

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    }

    /// <summary>Loads another build of the generator beside this one, in a context of its own.</summary>
    private sealed class IsolatedLoader : IAnalyzerAssemblyLoader
    {
        private readonly System.Runtime.Loader.AssemblyLoadContext _context = new("other generator");

        public void AddDependencyLocation(string fullPath)
        {
        }

        public System.Reflection.Assembly LoadFromPath(string fullPath) => _context.LoadFromAssemblyPath(fullPath);
    }

    /// <summary>A build's generator pass: a new compilation (no symbol bound yet) and a new driver.</summary>
    [Benchmark]
    public GeneratorDriver FirstRun() => CreateDriver().RunGenerators(Compile());

    /// <summary>The IDE's pass after a keystroke in another file: the warm driver on the edited compilation.</summary>
    [Benchmark]
    public GeneratorDriver RerunAfterUnrelatedEdit()
    {
        SyntaxTree edited = _unrelated.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Unrelated + "// edit " + _edits++));
        return _warm.RunGenerators(_compilation.ReplaceSyntaxTree(_unrelated, edited));
    }

    /// <summary><see cref="StabilityAnalyzer"/> on a new compilation of the model's source.</summary>
    [Benchmark]
    public Task<ImmutableArray<Diagnostic>> StabilityAnalyzer() =>
        Compile().WithAnalyzers([new StabilityAnalyzer()]).GetAnalyzerDiagnosticsAsync();

    /// <summary>The same analyzer pass with an analyzer that registers the same action and does nothing in it.</summary>
    [Benchmark(Baseline = true)]
    public Task<ImmutableArray<Diagnostic>> EmptyAnalyzer() =>
        Compile().WithAnalyzers([new NothingAnalyzer()]).GetAnalyzerDiagnosticsAsync();

    // A stub the benchmark instantiates itself; no compiler ever loads it from this assembly, so the rules for
    // shipped analyzers (netstandard2.0, extended rules, release tracking) do not apply.
#pragma warning disable RS1041, RS1036, RS2008
    /// <summary>What the analyzer pass costs without any work of ChainRule's.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class NothingAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Never = new("BENCH0001", "never", "never", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Never];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterSymbolAction(_ => { }, SymbolKind.NamedType);
        }
    }
#pragma warning restore RS1041, RS1036, RS2008
}
