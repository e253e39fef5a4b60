using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>
/// CR0022: turns a deep post-norm residual stack into a pre-norm one by removing its <c>Placement = …</c> argument,
/// since pre-norm is <c>ResidualAttribute.Placement</c>'s default.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PreNormPlacementCodeFix)), Shared]
public sealed class PreNormPlacementCodeFix : AttributeCodeFix
{
    /// <summary>Fixes CR0022.</summary>
    public PreNormPlacementCodeFix() : base("CR0022")
    {
    }

    /// <inheritdoc/>
    protected override (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeSyntax attribute, AttributeArgumentSyntax? argument) =>
        // The diagnostic points at the Placement argument when one is written. Removing it from the separated list
        // drops the comma before it (or after it, when it is first) with it.
        argument is { NameEquals.Name.Identifier.ValueText: "Placement", Parent: AttributeArgumentListSyntax arguments }
            ? ("Use pre-norm placement (the default)", arguments, arguments.WithArguments(arguments.Arguments.Remove(argument)))
            : null;
}
