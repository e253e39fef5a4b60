using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>
/// CR0020: sets <c>Init</c> to the scheme that keeps the variance through the layer's activation, the one the
/// analyzer names in the diagnostic's <c>Init</c> property (He for the ReLU family, Xavier for Sigmoid and Tanh,
/// as <c>Initializers.DefaultFor</c>). The analyzer decides the scheme, so this assembly holds no numerics.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InitMatchingActivationCodeFix)), Shared]
public sealed class InitMatchingActivationCodeFix : AttributeCodeFix
{
    /// <summary>The diagnostic property naming the matching <c>Init</c> member (StabilityLints.InitProperty).</summary>
    public const string InitProperty = "Init";

    /// <summary>Fixes CR0020.</summary>
    public InitMatchingActivationCodeFix() : base("CR0020")
    {
    }

    /// <inheritdoc/>
    protected override (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeSyntax attribute, AttributeArgumentSyntax? argument)
    {
        if (argument is null || !diagnostic.Properties.TryGetValue(InitProperty, out string? init) || init is null)
            return null;
        // Only the member name changes, so `ChainRule.Init.X` and `using static` forms keep their qualification.
        ExpressionSyntax expression = argument.Expression switch
        {
            MemberAccessExpressionSyntax access => access.WithName(SyntaxFactory.IdentifierName(init).WithTriviaFrom(access.Name)),
            IdentifierNameSyntax name => SyntaxFactory.IdentifierName(init).WithTriviaFrom(name),
            ExpressionSyntax other => SyntaxFactory.ParseExpression("global::ChainRule.Init." + init).WithTriviaFrom(other),
        };
        return ($"Use Init.{init}", argument.Expression, expression);
    }
}
