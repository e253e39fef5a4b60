using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ChainRule.CodeFixes;

/// <summary>
/// CR0023: drops the bias that the BatchNorm after the layer cancels, by setting <c>Bias = false</c> on its
/// <c>[Dense]</c>: a written <c>Bias = …</c> gets <c>false</c>, otherwise the argument is added last.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BiasFreeCodeFix)), Shared]
public sealed class BiasFreeCodeFix : BoolArgumentCodeFix
{
    /// <summary>Fixes CR0023.</summary>
    public BiasFreeCodeFix() : base("CR0023", "Remove the bias (Bias = false)", "Bias", value: false)
    {
    }
}
