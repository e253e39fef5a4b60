using System.Collections.Immutable;
using System.Linq;
using ChainRule.Generators.Diagnostics;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ChainRule.Generators;

/// <summary>
/// Compiles each class marked <c>[Network]</c> into straight-line forward, backward and training code.
/// Pipeline: find the class → parse to an equatable spec → lower to a plan → emit one file. Diagnostics leave
/// on their own output, so the source output re-runs only when a model's declaration changes.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkParser.NetworkAttributeName,
                // Records are matched only to be refused with CR0008; without this they would be ignored silently.
                predicate: static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                transform: static (context, cancellationToken) => NetworkParser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.Parse);

        // Each model is lowered once, here, with its gradient-flow estimate; the source and the lints both read this.
        IncrementalValuesProvider<LoweredModel> lowered = parsed
            .Select(static (result, cancellationToken) => LoweredModel.From(result, cancellationToken))
            .WithTrackingName(TrackingNames.Lower);

        IncrementalValuesProvider<NetworkPlan> plans = lowered
            .Select(static (model, _) => model.Plan)
            .Where(static plan => plan is not null)
            .Select(static (plan, _) => plan!)
            .WithTrackingName(TrackingNames.Plan);

        // File names must differ ignoring case across all models, so each model's name is chosen knowing the others'
        // keys: small equatable records, so a model's source re-runs when its own plan or the set of names changes.
        IncrementalValueProvider<EquatableArray<HintKey>> hintKeys = plans
            .Select(static (plan, _) => plan.Hint)
            .Collect()
            .Select(static (keys, _) => keys.ToEquatableArray());

        context.RegisterSourceOutput(plans.Combine(hintKeys), static (output, pair) =>
            output.AddSource(HintNames.For(pair.Left.Hint, pair.Right), SourceText.From(NetworkEmitter.Emit(pair.Left, output.CancellationToken), System.Text.Encoding.UTF8)));

        // Locations are rebuilt against the compilation's own syntax trees so that #pragma warning disable and
        // editorconfig severities apply to them; only this last step sees the compilation.
        // CR0021 reads the lowered plan's estimate and the layers' locations. CR0020, CR0022 and CR0023 have code fixes,
        // which only an analyzer's diagnostics get: StabilityAnalyzer reports them.
        IncrementalValueProvider<ImmutableArray<DiagnosticInfo>> diagnostics = lowered
            .SelectMany(static (model, _) => model.Diagnostics.Concat(StabilityLints.Check(model.Plan, model.Sites, fixable: false)))
            .WithTrackingName(TrackingNames.Diagnostics)
            .Collect();

        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (output, pair) =>
        {
            foreach (DiagnosticInfo info in pair.Left)
                output.ReportDiagnostic(ToDiagnostic(info, pair.Right));
        });
    }

    /// <summary>A diagnostic located in <paramref name="compilation"/>'s own trees, so that suppressions apply to it.</summary>
    internal static Diagnostic ToDiagnostic(DiagnosticInfo info, Compilation compilation)
    {
        Location location = Location.None;
        if (info.Location is { } where)
        {
            SyntaxTree? tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == where.FilePath);
            location = tree is not null
                ? Location.Create(tree, where.Span)
                : Location.Create(where.FilePath, where.Span, where.LineSpan);
        }
        ImmutableDictionary<string, string?> properties = info.Properties.Items.ToImmutableDictionary(p => p.Key, p => (string?)p.Value);
        return Diagnostic.Create(DiagnosticDescriptors.Find(info.Id), location, properties, info.MessageArguments.Items.ToArray<object?>());
    }
}
