using System.Composition;
using System.Linq;
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
    protected override (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeSyntax attribute, AttributeArgumentSyntax? argument)
    {
        // [Dense] always has an argument list: its units are required.
        if (attribute.ArgumentList is not { } arguments)
            return null;
        ExpressionSyntax no = SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression);
        if (arguments.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Bias") is { } written)
            return (Title, written.Expression, no.WithTriviaFrom(written.Expression));
        AttributeArgumentSyntax bias = SyntaxFactory.AttributeArgument(
            SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName("Bias"), SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space)),
            nameColon: null, no);
        var separated = arguments.Arguments.GetWithSeparators()
            .Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space))
            .Add(bias);
        return (Title, arguments, arguments.WithArguments(SyntaxFactory.SeparatedList<AttributeArgumentSyntax>(separated)));
    }
}
