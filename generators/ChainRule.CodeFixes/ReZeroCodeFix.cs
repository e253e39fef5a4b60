using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ChainRule.CodeFixes;

/// <summary>
/// CR0022's second remedy: keeps the post-norm placement and sets <c>ReZero = true</c> on the <c>[Residual]</c>, so every
/// block starts as the identity (Bachlechner et al. 2020); a written <c>ReZero = false</c> is turned on in place.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReZeroCodeFix)), Shared]
public sealed class ReZeroCodeFix : BoolArgumentCodeFix
{
    /// <summary>Fixes CR0022.</summary>
    public ReZeroCodeFix() : base("CR0022", "Add ReZero (ReZero = true)", "ReZero", value: true)
    {
    }
}
