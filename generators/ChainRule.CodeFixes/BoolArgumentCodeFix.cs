using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>A fix that sets one <c>bool</c> argument of the layer attribute, <c>Name = true/false</c>, written or not.</summary>
public abstract class BoolArgumentCodeFix : AttributeCodeFix
{
    private readonly string _title;
    private readonly string _argument;
    private readonly bool _value;

    /// <summary>A fix for <paramref name="diagnosticId"/> titled <paramref name="title"/> that sets <paramref name="argument"/> to <paramref name="value"/>.</summary>
    protected BoolArgumentCodeFix(string diagnosticId, string title, string argument, bool value) : base(diagnosticId)
    {
        _title = title;
        _argument = argument;
        _value = value;
    }

    /// <inheritdoc/>
    protected sealed override (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeSyntax attribute, AttributeArgumentSyntax? argument) =>
        SetNamedArgument(attribute, _argument, SyntaxFactory.LiteralExpression(_value ? SyntaxKind.TrueLiteralExpression : SyntaxKind.FalseLiteralExpression)) is { } edit
            ? (_title, edit.Node, edit.Replacement)
            : null;
}
