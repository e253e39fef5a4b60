using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ChainRule.Generators.Model;

/// <summary>Where a diagnostic points, as plain values: a file path and a span, never a <see cref="Location"/>.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location is { SourceTree: not null }
            ? new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span)
            : null;

    public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());

    public static LocationInfo? From(SyntaxToken token) => From(token.GetLocation());
}

/// <summary>A diagnostic as data: its descriptor's ID, where it points and its message arguments.</summary>
/// <param name="Properties">What a code fix needs and cannot read from the source, e.g. the init an activation wants.</param>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArguments,
    EquatableArray<DiagnosticProperty> Properties = default)
{
    /// <summary>Never a default array underneath: code that walks the stored array (PipelineTests) would throw on one.</summary>
    public EquatableArray<DiagnosticProperty> Properties { get; init; } = new(Properties.Items);
}

/// <summary>One entry of a diagnostic's <see cref="Diagnostic.Properties"/>.</summary>
internal sealed record DiagnosticProperty(string Key, string Value);

/// <summary>What parsing one <c>[Network]</c> class yields: a spec when the declaration is usable, and its diagnostics.</summary>
/// <param name="Sites">Where each parsed layer is declared, for the stability lints that run after lowering.</param>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics, EquatableArray<LayerSite> Sites = default);

/// <summary>Where a layer's attribute and the arguments a lint may blame are written; kept beside the spec, not in it,
/// so that moving a declaration re-reports its diagnostics without regenerating its source.</summary>
/// <param name="Init">The <c>Init = …</c> argument, if written.</param>
/// <param name="Placement">The <c>Placement = …</c> argument, if written.</param>
internal sealed record LayerSite(string Name, LocationInfo? Attribute, LocationInfo? Init, LocationInfo? Placement);
