using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ChainRule.Generators.Diagnostics;

/// <summary>
/// Reports a layer attribute on a property whose class is not marked <c>[Network]</c>: the generator only reads
/// classes that are, so such a layer would silently never exist. Needs no code generation, hence an analyzer.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayerOutsideNetworkAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.LayerOutsideNetwork);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(AnalyzeProperty, SymbolKind.Property);
    }

    private static void AnalyzeProperty(SymbolAnalysisContext context)
    {
        var property = (IPropertySymbol)context.Symbol;
        AttributeData? layer = property.GetAttributes()
            .FirstOrDefault(a => a.AttributeClass is { } type && Kinds.LayerKinds.ForAttribute(type.ToDisplayString()) is not null);
        if (layer is null)
            return;
        bool inNetwork = property.ContainingType.GetAttributes()
            .Any(a => a.AttributeClass?.ToDisplayString() == Parsing.NetworkParser.NetworkAttributeName);
        if (inNetwork)
            return;
        Location location = layer.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation() ?? property.Locations[0];
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LayerOutsideNetwork, location,
            property.Name, property.ContainingType.Name));
    }
}
