using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ChainRule.Generators.Kinds;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.Generators.Emitting;

/// <summary>A member the generator adds to every model class (besides the layers' own implementations).</summary>
/// <param name="Kind">How a message names it: <c>property</c>, <c>method</c>, <c>field</c>, <c>constant</c>, <c>nested class</c>, <c>constructor</c>.</param>
/// <param name="Signature">Methods and constructors: the parameter types, fully qualified, comma-separated (see
/// <see cref="GeneratedMembers.Signature"/>); <c>null</c> for other members.</param>
/// <param name="IsPartialDefinition">A partial method the user may implement, such as <c>OnGradientReport</c>.</param>
internal sealed record GeneratedMember(string Name, string Kind, string? Signature, bool IsPartialDefinition)
{
    /// <summary>How a message names it, e.g. <c>method 'Predict(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)'</c>.</summary>
    public string Display(string name) => Signature is null
        ? $"{Kind} '{name}'"
        : $"{Kind} '{name}({string.Join(", ", Signature.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(ShortName))})'";

    private static string ShortName(string type)
    {
        string trimmed = type.Replace("global::", "");
        int generic = trimmed.IndexOf('<');
        int dot = trimmed.LastIndexOf('.', generic < 0 ? trimmed.Length - 1 : generic);
        return dot < 0 ? trimmed : trimmed.Substring(dot + 1);
    }
}

/// <summary>
/// The members of a generated model class, read back from the emitter's own output for small sample networks, so
/// that the names the parser refuses (CR0016) follow whatever the emitter writes and are never a second list kept
/// by hand. Samples with and without BatchNorm cover the members and signatures that only some networks get.
/// </summary>
internal static class GeneratedMembers
{
    /// <summary>The type name of the sample networks; generated constructors carry it.</summary>
    private const string SampleType = "ChainRuleSample";

    private static readonly Lazy<ImmutableArray<GeneratedMember>> Float = new(() => Read(PrecisionKind.Float));
    private static readonly Lazy<ImmutableArray<GeneratedMember>> Double = new(() => Read(PrecisionKind.Double));

    public static ImmutableArray<GeneratedMember> For(PrecisionKind precision) =>
        (precision == PrecisionKind.Double ? Double : Float).Value;

    /// <summary>
    /// A parameter list as signatures are compared: fully qualified types (as the emitter writes them and as
    /// <see cref="SymbolDisplayFormat.FullyQualifiedFormat"/> shows the user's), nullability annotations dropped
    /// since they do not distinguish overloads.
    /// </summary>
    public static string Signature(IEnumerable<string> parameterTypes) =>
        string.Join(",", parameterTypes.Select(t => t.Replace("?", "").Replace(" ", "")));

    private static ImmutableArray<GeneratedMember> Read(PrecisionKind precision)
    {
        LayerSpec[][] samples =
        [
            [
                new DenseSpec("SampleDense", "public partial", 4, ActivationKind.ReLU, InitKind.Default),
                new NormSpec("SampleBatchNorm", "public partial", NormKind.BatchNorm, 0),
                new ResidualSpec("SampleResidual", "public partial", NormKind.LayerNorm, ActivationKind.Gelu, 1, 0, NormPlacementKind.Pre, true, 0),
            ],
            [new DenseSpec("SampleDense", "public partial", 4, ActivationKind.Identity, InitKind.Default)],
        ];
        var members = new List<GeneratedMember>();
        var layerNames = new HashSet<string>(samples.SelectMany(s => s).Select(l => l.Name), StringComparer.Ordinal);
        foreach (LayerSpec[] layers in samples)
        {
            var spec = new NetworkSpec("", EquatableArray<ContainingTypeSpec>.Empty, SampleType, SampleType, 4, LossKind.SoftmaxCrossEntropy, precision, layers.ToEquatableArray());
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(NetworkEmitter.Emit(NetworkLowering.Lower(spec))).GetRoot();
            var model = root.Members.OfType<ClassDeclarationSyntax>().Single(c => c.Identifier.Text == SampleType);
            foreach (MemberDeclarationSyntax member in model.Members)
            {
                foreach (GeneratedMember generated in Describe(member))
                {
                    if (!layerNames.Contains(generated.Name) && !members.Contains(generated))
                        members.Add(generated);
                }
            }
        }
        return members.ToImmutableArray();
    }

    private static IEnumerable<GeneratedMember> Describe(MemberDeclarationSyntax member)
    {
        switch (member)
        {
            case FieldDeclarationSyntax field:
                string kind = field.Modifiers.Any(SyntaxKind.ConstKeyword) ? "constant" : "field";
                foreach (VariableDeclaratorSyntax variable in field.Declaration.Variables)
                    yield return new GeneratedMember(variable.Identifier.Text, kind, null, false);
                break;
            case PropertyDeclarationSyntax property:
                yield return new GeneratedMember(property.Identifier.Text, "property", null, false);
                break;
            case MethodDeclarationSyntax method:
                yield return new GeneratedMember(method.Identifier.Text, "method", Parameters(method.ParameterList),
                    method.Modifiers.Any(SyntaxKind.PartialKeyword) && method.Body is null && method.ExpressionBody is null);
                break;
            case ConstructorDeclarationSyntax constructor:
                yield return new GeneratedMember(constructor.Identifier.Text, "constructor", Parameters(constructor.ParameterList), false);
                break;
            case BaseTypeDeclarationSyntax type:
                yield return new GeneratedMember(type.Identifier.Text, type is ClassDeclarationSyntax ? "nested class" : "nested type", null, false);
                break;
        }
    }

    private static string Parameters(ParameterListSyntax list) => Signature(list.Parameters.Select(p => p.Type?.ToString() ?? ""));
}
