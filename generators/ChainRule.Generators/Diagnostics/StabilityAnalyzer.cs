using System.Collections.Immutable;
using System.Linq;
using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ChainRule.Generators.Diagnostics;

/// <summary>
/// Reports the stability lints that have code fixes (<see cref="StabilityLints.Fixable"/>: CR0020, CR0022, CR0023). IDEs
/// offer fixes only for an analyzer's diagnostics, not a generator's, so these run here, through the generator's own
/// parse → lower → lint path, and the generator leaves them out.
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
        context.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
    }

    private static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        // The part carrying the first [Network] is the one the generator parses (CS0579 forbids a second).
        AttributeData? network = type.GetAttributes()
            .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkParser.NetworkAttributeName);
        if (network?.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } declaration)
            return;
        ParseResult result = NetworkParser.Parse(type, declaration, network, context.Compilation, context.CancellationToken);
        foreach (DiagnosticInfo info in StabilityLints.Check(result, fixable: true, context.CancellationToken))
            context.ReportDiagnostic(NetworkGenerator.ToDiagnostic(info, context.Compilation));
    }
}
