using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.CodeFixes;

/// <summary>
/// A fix for a diagnostic located at a layer attribute or at one of its arguments (the stability lints point at the
/// argument that causes them, or at the attribute when no argument does): finds both, asks the fix for one
/// replacement, offers it singly and as Fix all.
/// </summary>
public abstract class AttributeCodeFix : CodeFixProvider
{
    /// <summary>A fix for <paramref name="diagnosticId"/>: a constant, not a reference, so this assembly never loads the generator.</summary>
    protected AttributeCodeFix(string diagnosticId) => FixableDiagnosticIds = ImmutableArray.Create(diagnosticId);

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
            SyntaxNode? located = root?.FindNode(diagnostic.Location.SourceSpan);
            if (root is null || located?.FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute
                || Rewrite(diagnostic, attribute, located.FirstAncestorOrSelf<AttributeArgumentSyntax>()) is not { } fix)
                continue;
            Document fixedDocument = context.Document.WithSyntaxRoot(root.ReplaceNode(fix.Node, fix.Replacement));
            context.RegisterCodeFix(CodeAction.Create(fix.Title, _ => Task.FromResult(fixedDocument), equivalenceKey: fix.Title), diagnostic);
        }
    }

    /// <summary>
    /// The fix for <paramref name="diagnostic"/> on <paramref name="attribute"/>, at <paramref name="argument"/> when the
    /// diagnostic points at one: its title (also its Fix all key, so only fixes of the same title are applied together),
    /// the node to replace and its replacement; null for none.
    /// </summary>
    protected abstract (string Title, SyntaxNode Node, SyntaxNode Replacement)? Rewrite(Diagnostic diagnostic, AttributeSyntax attribute, AttributeArgumentSyntax? argument);

    /// <summary>
    /// <c>name = value</c> on <paramref name="attribute"/>: the value of a written <c>name = …</c> replaced, or the argument
    /// added last; null for an attribute without an argument list (no layer attribute with a fixable lint has none).
    /// </summary>
    protected static (SyntaxNode Node, SyntaxNode Replacement)? SetNamedArgument(AttributeSyntax attribute, string name, ExpressionSyntax value)
    {
        if (attribute.ArgumentList is not { } arguments)
            return null;
        if (arguments.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name) is { } written)
            return (written.Expression, value.WithTriviaFrom(written.Expression));
        AttributeArgumentSyntax added = SyntaxFactory.AttributeArgument(
            SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName(name), SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space)),
            nameColon: null, value);
        var separated = arguments.Arguments.GetWithSeparators()
            .Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space))
            .Add(added);
        return (arguments, arguments.WithArguments(SyntaxFactory.SeparatedList<AttributeArgumentSyntax>(separated)));
    }
}
