using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>
/// CR0022: turns a deep post-norm residual stack into a pre-norm one by removing its <c>Placement = …</c> argument,
/// since pre-norm is <c>ResidualAttribute.Placement</c>'s default.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PreNormPlacementCodeFix)), Shared]
public sealed class PreNormPlacementCodeFix : CodeFixProvider
{
    /// <summary>The diagnostic this fixes.</summary>
    public const string DiagnosticId = "CR0022";

    private const string Title = "Use pre-norm placement (the default)";

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
            // The diagnostic points at the Placement argument when one is written; without one the stack is already
            // pre-norm and there is nothing to remove.
            if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeArgumentSyntax>() is not
                { NameEquals.Name.Identifier.ValueText: "Placement", Parent: AttributeArgumentListSyntax arguments } argument)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title, token => Remove(context.Document, root, arguments, argument, token), equivalenceKey: Title),
                diagnostic);
        }
    }

    private static Task<Document> Remove(Document document, SyntaxNode root, AttributeArgumentListSyntax arguments, AttributeArgumentSyntax argument,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Removing from the separated list drops the comma before the argument (or after it, when it is first) with it.
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(arguments, arguments.WithArguments(arguments.Arguments.Remove(argument)))));
    }
}
