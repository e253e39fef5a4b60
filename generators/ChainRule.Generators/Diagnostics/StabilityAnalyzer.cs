using System.Collections.Immutable;
using System.Linq;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ChainRule.Generators.Diagnostics;

/// <summary>
/// Reports the stability lints that have code fixes (<see cref="StabilityLints.Fixable"/>: CR0020, CR0022, CR0023). IDEs
/// offer fixes only for an analyzer's diagnostics, not a generator's, so these run here, through the generator's own
/// parse → lower → lint path, and the generator leaves them out. An analyzer cannot see the generator's results, so
/// it parses and lowers each model once itself, without the gradient-flow estimate that only the generator's lints
/// and summary read; types are matched against <c>[Network]</c> by symbol, resolved once per compilation.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StabilityAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => StabilityLints.Fixable;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            // Without the attribute type no class can be a network: nothing to register.
            if (start.Compilation.GetTypeByMetadataName(NetworkParser.NetworkAttributeName) is not { } networkAttribute)
                return;
            start.RegisterSymbolAction(context => AnalyzeType(context, networkAttribute), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol networkAttribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        // The part carrying the first [Network] is the one the generator parses (CS0579 forbids a second).
        AttributeData? network = type.GetAttributes()
            .FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, networkAttribute));
        if (network?.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } declaration)
            return;
        ParseResult result = NetworkParser.Parse(type, declaration, network, context.Compilation, context.CancellationToken);
        NetworkPlan? plan = result.Spec is { } spec ? NetworkLowering.Lower(spec, context.CancellationToken, estimate: false) : null;
        foreach (DiagnosticInfo info in StabilityLints.Check(plan, result.Sites, fixable: true))
            context.ReportDiagnostic(NetworkGenerator.ToDiagnostic(info, context.Compilation));
    }
}
