using System.Globalization;
using ChainRule.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace ChainRule.Generators.Emitting;

/// <summary>The names and number formats every part of the generated file writes, the shared emitter's and each layer kind's.</summary>
internal static class Code
{
    public const string Kernels = "global::ChainRule.Kernels";
    public const string Training = "global::ChainRule.Training";
    public const string Span = "global::System.Span";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan";
    public const string Report = "global::ChainRule.Diagnostics.GradientReport";

    public static readonly string GeneratedCode =
        $"[global::System.CodeDom.Compiler.GeneratedCode(\"ChainRule.Generators\", \"{typeof(Code).Assembly.GetName().Version}\")]";

    /// <summary>
    /// A name from the user's declaration as C# source: a keyword, reserved (<c>class</c>) or contextual (<c>var</c>,
    /// <c>record</c>), gets its <c>@</c> back; the spec holds names unescaped, for strings and comments.
    /// </summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>A count as people read it: <c>17,226</c>.</summary>
    public static string Count(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A number as C# reads it: <c>17226</c>.</summary>
    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>10^decades, with −∞ (exactly zero) as 0 and anything beyond double's range clamped, so it is a valid literal.</summary>
    public static double RelativeNorm(double decades) =>
        double.IsNaN(decades) ? 0 : System.Math.Min(double.MaxValue, System.Math.Pow(10, decades));

    /// <summary>The summary's predicted ‖∇W‖ of one layer.</summary>
    public static string Predicted(EquatableArray<double> decades, int nameIndex) =>
        double.IsNegativeInfinity(decades[nameIndex]) ? "0" : RelativeNorm(decades[nameIndex]).ToString("0.0e+00", CultureInfo.InvariantCulture);
}
