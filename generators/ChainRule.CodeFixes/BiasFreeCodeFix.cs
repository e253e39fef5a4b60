using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>
/// CR0023: drops the bias that the BatchNorm after the layer cancels, by setting <c>Bias = false</c> on its
/// <c>[Dense]</c>: a written <c>Bias = …</c> gets <c>false</c>, otherwise the argument is added last.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BiasFreeCodeFix)), Shared]
public sealed class BiasFreeCodeFix : AttributeCodeFix
{
    private const string Title = "Remove the bias (Bias = false)";

    /// <summary>Fixes CR0023.</summary>
    public BiasFreeCodeFix() : base("CR0023")
    {
    }

    /// <inheritdoc/>
    protected override (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeSyntax attribute, AttributeArgumentSyntax? argument) =>
        SetNamedArgument(attribute, "Bias", SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression)) is { } edit
            ? (Title, edit.Node, edit.Replacement)
            : null;
}
