using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>
/// A fix for a diagnostic located at one argument of a layer attribute (the stability lints point at the argument
/// that causes them): finds the argument, asks the fix for one replacement, offers it singly and as Fix all.
/// </summary>
public abstract class AttributeArgumentCodeFix : CodeFixProvider
{
    /// <summary>A fix for <paramref name="diagnosticId"/>: a constant, not a reference, so this assembly never loads the generator.</summary>
    protected AttributeArgumentCodeFix(string diagnosticId) => FixableDiagnosticIds = ImmutableArray.Create(diagnosticId);

    /// <inheritdoc/>
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeArgumentSyntax>() is not { } argument
                || Rewrite(diagnostic, argument) is not { } fix)
                continue;
            Document fixedDocument = context.Document.WithSyntaxRoot(root.ReplaceNode(fix.Node, fix.Replacement));
            context.RegisterCodeFix(CodeAction.Create(fix.Title, _ => Task.FromResult(fixedDocument), equivalenceKey: fix.Title), diagnostic);
        }
    }

    /// <summary>
    /// The fix for <paramref name="diagnostic"/> at <paramref name="argument"/>: its title (also its Fix all key, so
    /// only fixes of the same title are applied together), the node to replace and its replacement; null for none.
    /// </summary>
    protected abstract (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeArgumentSyntax argument);
}
