using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>
/// CR0022's second remedy: keeps the post-norm placement and sets <c>ReZero = true</c> on the <c>[Residual]</c>, so every
/// block starts as the identity (Bachlechner et al. 2020); a written <c>ReZero = false</c> is turned on in place.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReZeroCodeFix)), Shared]
public sealed class ReZeroCodeFix : AttributeCodeFix
{
    private const string Title = "Add ReZero (ReZero = true)";

    /// <summary>Fixes CR0022.</summary>
    public ReZeroCodeFix() : base("CR0022")
    {
    }

    /// <inheritdoc/>
    protected override (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeSyntax attribute, AttributeArgumentSyntax? argument) =>
        SetNamedArgument(attribute, "ReZero", SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression)) is { } edit
            ? (Title, edit.Node, edit.Replacement)
            : null;
}
