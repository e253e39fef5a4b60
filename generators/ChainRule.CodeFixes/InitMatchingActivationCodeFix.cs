using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
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
public sealed class InitMatchingActivationCodeFix : CodeFixProvider
{
    /// <summary>The diagnostic this fixes; a constant, not a reference, so this assembly never loads the generator.</summary>
    public const string DiagnosticId = "CR0020";

    /// <summary>The diagnostic property naming the matching <c>Init</c> member (StabilityLints.InitProperty).</summary>
    public const string InitProperty = "Init";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticId);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(InitProperty, out string? init) || init is null
                || root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeArgumentSyntax>() is not { } argument)
                continue;
            string title = $"Use Init.{init}";
            context.RegisterCodeFix(
                CodeAction.Create(title, token => Replace(context.Document, root, argument, init, token), equivalenceKey: title),
                diagnostic);
        }
    }

    private static Task<Document> Replace(Document document, SyntaxNode root, AttributeArgumentSyntax argument, string init, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Only the member name changes, so `ChainRule.Init.X` and `using static` forms keep their qualification.
        ExpressionSyntax expression = argument.Expression switch
        {
            MemberAccessExpressionSyntax access => access.WithName(SyntaxFactory.IdentifierName(init).WithTriviaFrom(access.Name)),
            IdentifierNameSyntax name => SyntaxFactory.IdentifierName(init).WithTriviaFrom(name),
            ExpressionSyntax other => SyntaxFactory.ParseExpression("global::ChainRule.Init." + init).WithTriviaFrom(other),
        };
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, expression)));
    }
}
