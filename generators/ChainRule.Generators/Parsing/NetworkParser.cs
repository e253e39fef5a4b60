using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using ChainRule.Generators.Diagnostics;
using ChainRule.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.Generators.Parsing;

/// <summary>
/// Turns a class marked <c>[Network]</c> into a <see cref="NetworkSpec"/> plus diagnostics. All symbol and
/// syntax work of the generator happens here; nothing that leaves this class refers to the compilation.
/// </summary>
internal static class NetworkParser
{
    public const string NetworkAttributeName = "ChainRule.NetworkAttribute";
    private const string DenseAttributeName = "ChainRule.DenseAttribute";
    private const string DenseLayerTypeName = "ChainRule.DenseLayer`1";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (ClassDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        bool usable = CheckType(type, declaration, diagnostics);

        AttributeData network = context.Attributes[0];
        var networkSyntax = network.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

        int inputs = ReadNamedInt(network, "Inputs", 0);
        if (inputs <= 0)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.SizeMustBePositive,
                (SyntaxNode?)FindArgument(networkSyntax, "Inputs", position: -1) ?? networkSyntax, "Inputs", inputs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var loss = ReadEnum<LossKind>(network, networkSyntax, "Loss", position: -1, "Loss", diagnostics, ref usable);
        var precision = ReadEnum<PrecisionKind>(network, networkSyntax, "Precision", position: -1, "Precision", diagnostics, ref usable);
        string elementType = precision == PrecisionKind.Double ? "double" : "float";

        var layers = new List<LayerSpec>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IPropertySymbol property)
                continue;
            AttributeData? dense = property.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == DenseAttributeName);
            if (dense is null)
                continue;
            LayerSpec? layer = ParseDense(property, dense, elementType, diagnostics, cancellationToken);
            if (layer is null)
                usable = false;
            else
                layers.Add(layer);
        }

        if (layers.Count == 0 && usable)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.NetworkHasNoLayers, declaration.Identifier, type.Name);
        }

        if (usable && layers.Count > 0 && layers[layers.Count - 1] is { Activation: not ActivationKind.Identity } last
            && loss is LossKind.SoftmaxCrossEntropy or LossKind.BinaryCrossEntropyWithLogits)
        {
            var lastProperty = type.GetMembers(last.Name).OfType<IPropertySymbol>().First();
            Report(diagnostics, DiagnosticDescriptors.ActivationBeforeLogitLoss,
                FindArgument(FindAttributeSyntax(lastProperty, DenseAttributeName, cancellationToken), "activation", position: 1),
                last.Name, last.Activation.ToString(), loss.ToString());
        }

        NetworkSpec? spec = usable
            ? new NetworkSpec(
                type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
                ContainingTypeDeclarations(type),
                type.Name,
                inputs,
                loss,
                precision,
                layers.ToEquatableArray())
            : null;
        return new ParseResult(spec, diagnostics.ToEquatableArray());
    }

    private static bool CheckType(INamedTypeSymbol type, ClassDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
    {
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            Report(diagnostics, DiagnosticDescriptors.NetworkMustBePartial, declaration.Identifier, type.Name);
            return false;
        }
        string? reason =
            type.IsStatic ? "a static class has no instances to hold parameters" :
            type.IsGenericType ? "generic classes are not supported, since every size must be known when the code is generated" :
            ContainingTypeProblem(type);
        if (reason is null)
            return true;
        Report(diagnostics, DiagnosticDescriptors.UnsupportedNetworkType, declaration.Identifier, type.Name, reason);
        return false;
    }

    private static string? ContainingTypeProblem(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType)
                return $"its containing type '{outer.Name}' is generic";
            bool isPartial = outer.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax())
                .OfType<TypeDeclarationSyntax>()
                .Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!isPartial)
                return $"its containing type '{outer.Name}' must be declared 'partial' too";
        }
        return null;
    }

    private static EquatableArray<string> ContainingTypeDeclarations(INamedTypeSymbol type)
    {
        var declarations = new List<string>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            string keyword = outer switch
            {
                { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
                { IsRecord: true } => "record",
                { TypeKind: TypeKind.Struct } => "struct",
                { TypeKind: TypeKind.Interface } => "interface",
                _ => "class",
            };
            declarations.Insert(0, $"partial {keyword} {outer.Name}");
        }
        return declarations.ToEquatableArray();
    }

    private static LayerSpec? ParseDense(IPropertySymbol property, AttributeData dense, string elementType, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var attributeSyntax = dense.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var propertySyntax = property.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<PropertyDeclarationSyntax>()
            .FirstOrDefault();
        if (propertySyntax is null || attributeSyntax is null)
            return null;
        bool usable = true;

        bool isPartialGetOnly = propertySyntax.Modifiers.Any(SyntaxKind.PartialKeyword)
            && !property.IsStatic
            && property.SetMethod is null
            && propertySyntax.AccessorList is { } accessors
            && accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null);
        if (!isPartialGetOnly)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.LayerMustBePartialProperty, propertySyntax.Identifier, property.Name, elementType);
        }

        if (!IsDenseLayerOf(property.Type, elementType))
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.LayerTypeMismatch, propertySyntax.Type, property.Name, elementType,
                property.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
        }

        // Arguments with compile errors of their own (a non-constant, a missing value) are left to the C# compiler.
        if (dense.ConstructorArguments.Length < 2 || dense.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error))
            return null;

        int units = dense.ConstructorArguments[0].Value is int u ? u : 0;
        if (units <= 0)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.SizeMustBePositive,
                FindArgument(attributeSyntax, "units", position: 0), $"Units of layer '{property.Name}'",
                units.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var activation = ToEnum<ActivationKind>(dense.ConstructorArguments[1].Value, attributeSyntax, "activation", position: 1, "Activation", diagnostics, ref usable);
        var init = ReadEnum<InitKind>(dense, attributeSyntax, "Init", position: -1, "Init", diagnostics, ref usable);
        if (init == InitKind.Zeros)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.ZeroInitialization, FindArgument(attributeSyntax, "Init", position: -1), property.Name);
        }

        if (!usable)
            return null;
        string modifiers = string.Join(" ", propertySyntax.Modifiers.Select(m => m.Text));
        return new LayerSpec(property.Name, modifiers, units, activation, init);
    }

    private static bool IsDenseLayerOf(ITypeSymbol type, string elementType) =>
        type is INamedTypeSymbol { IsGenericType: true } named
        && named.ConstructedFrom.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) == "global::ChainRule.DenseLayer<T>"
        && named.TypeArguments[0].SpecialType == (elementType == "double" ? SpecialType.System_Double : SpecialType.System_Single);

    private static int ReadNamedInt(AttributeData attribute, string name, int fallback)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is int value)
                return value;
        }
        return fallback;
    }

    private static TEnum ReadEnum<TEnum>(AttributeData attribute, AttributeSyntax? syntax, string name, int position, string enumName, List<DiagnosticInfo> diagnostics, ref bool usable)
        where TEnum : struct, Enum
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
                return ToEnum<TEnum>(argument.Value.Value, syntax, name, position, enumName, diagnostics, ref usable);
        }
        return default;
    }

    private static TEnum ToEnum<TEnum>(object? value, AttributeSyntax? syntax, string name, int position, string enumName, List<DiagnosticInfo> diagnostics, ref bool usable)
        where TEnum : struct, Enum
    {
        if (value is int raw && Enum.IsDefined(typeof(TEnum), raw))
            return (TEnum)(object)raw;
        usable = false;
        string written = FindArgument(syntax, name, position)?.Expression.ToString() ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null";
        Report(diagnostics, DiagnosticDescriptors.UnknownOption, (SyntaxNode?)FindArgument(syntax, name, position) ?? syntax,
            written, enumName, string.Join(", ", Enum.GetNames(typeof(TEnum))));
        return default;
    }

    private static AttributeSyntax? FindAttributeSyntax(IPropertySymbol property, string attributeName, CancellationToken cancellationToken) =>
        property.GetAttributes()
            .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == attributeName)?
            .ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

    /// <summary>
    /// Finds the argument that supplied a parameter: by <c>Name = value</c> or <c>name: value</c>, or else by its
    /// position among the positional arguments (<paramref name="position"/> −1 for properties, which have none).
    /// </summary>
    private static AttributeArgumentSyntax? FindArgument(AttributeSyntax? attribute, string name, int position)
    {
        if (attribute?.ArgumentList is not { } list)
            return null;
        foreach (var argument in list.Arguments)
        {
            string? argumentName = argument.NameEquals?.Name.Identifier.Text ?? argument.NameColon?.Name.Identifier.Text;
            if (argumentName == name)
                return argument;
        }
        if (position < 0 || position >= list.Arguments.Count)
            return null;
        var positional = list.Arguments[position];
        return positional.NameEquals is null && positional.NameColon is null ? positional : null;
    }

    private static void Report(List<DiagnosticInfo> diagnostics, DiagnosticDescriptor descriptor, SyntaxNode? node, params string[] arguments) =>
        diagnostics.Add(new DiagnosticInfo(descriptor.Id, LocationInfo.From(node), arguments.ToEquatableArray()));

    private static void Report(List<DiagnosticInfo> diagnostics, DiagnosticDescriptor descriptor, SyntaxToken token, params string[] arguments) =>
        diagnostics.Add(new DiagnosticInfo(descriptor.Id, LocationInfo.From(token), arguments.ToEquatableArray()));
}
