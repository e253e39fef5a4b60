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
    private const string ResidualAttributeName = "ChainRule.ResidualAttribute";

    /// <summary>Each layer attribute, the view type its property must have, and the norm it declares (if a norm layer).</summary>
    private static readonly (string Attribute, string View, NormKind? Norm)[] LayerAttributes =
    [
        (DenseAttributeName, "DenseLayer", null),
        ("ChainRule.LayerNormAttribute", "NormLayer", NormKind.LayerNorm),
        ("ChainRule.RMSNormAttribute", "NormLayer", NormKind.RMSNorm),
        ("ChainRule.BatchNormAttribute", "NormLayer", NormKind.BatchNorm),
        (ResidualAttributeName, "ResidualStack", null),
    ];

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (ClassDeclarationSyntax)context.TargetNode;
        // [Network] on two parts of a partial class is CS0579 (the attribute allows one); the model is parsed once,
        // from the part that carries the first, so it is not generated twice.
        if (!CarriesFirstNetworkAttribute(type, declaration))
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        var diagnostics = new List<DiagnosticInfo>();
        bool usable = CheckType(type, declaration, diagnostics);

        AttributeData network = context.Attributes[0];
        var networkSyntax = network.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

        int inputs = ReadNamed(network, "Inputs") is int declaredInputs ? declaredInputs : 0;
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
        int width = inputs;
        string widthSource = "the network input";
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IPropertySymbol property)
                continue;
            foreach (AttributeData attribute in property.GetAttributes())
            {
                string? attributeName = attribute.AttributeClass?.ToDisplayString();
                int kind = Array.FindIndex(LayerAttributes, a => a.Attribute == attributeName);
                if (kind < 0)
                    continue;
                var (_, view, norm) = LayerAttributes[kind];
                var layerContext = new LayerContext(property, attribute, attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax,
                    $"{view}<{elementType}>", width, widthSource, diagnostics);
                LayerSpec? layer = CheckProperty(layerContext, elementType, cancellationToken) is false ? null
                    : attributeName == DenseAttributeName ? ParseDense(layerContext)
                    : attributeName == ResidualAttributeName ? ParseResidual(layerContext)
                    : ParseNorm(layerContext, norm!.Value);
                if (layer is null)
                {
                    usable = false;
                    break;
                }
                layers.Add(layer);
                if (layer is DenseSpec dense)
                    width = dense.Units;
                widthSource = $"'{property.Name}'";
                break;
            }
        }

        if (layers.Count == 0 && usable)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.NetworkHasNoLayers, declaration.Identifier, type.Name);
        }

        if (usable && layers.Count > 0 && layers[layers.Count - 1] is DenseSpec { Activation: not ActivationKind.Identity } last
            && loss is LossKind.SoftmaxCrossEntropy or LossKind.BinaryCrossEntropyWithLogits)
        {
            var lastProperty = type.GetMembers(last.Name).OfType<IPropertySymbol>().First();
            Report(diagnostics, DiagnosticDescriptors.ActivationBeforeLogitLoss,
                FindArgument(FindAttributeSyntax(lastProperty, DenseAttributeName, cancellationToken), "activation", position: 1),
                last.Name, last.Activation.ToString(), loss.ToString());
        }

        NetworkSpec? spec = usable
            ? new NetworkSpec(
                NamespaceOf(type),
                ContainingTypeDeclarations(type),
                type.Name,
                MetadataIdentity(type),
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

    /// <summary>Whether the type's first <c>[Network]</c> (in declaration order) is written on <paramref name="declaration"/>.</summary>
    private static bool CarriesFirstNetworkAttribute(INamedTypeSymbol type, ClassDeclarationSyntax declaration)
    {
        SyntaxReference? first = type.GetAttributes()
            .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkAttributeName)?.ApplicationSyntaxReference;
        return first is null || (first.SyntaxTree == declaration.SyntaxTree && declaration.Span.Contains(first.Span));
    }

    /// <summary>The namespace as its names, <c>Models.namespace</c> for <c>Models.@namespace</c>: the emitter escapes what needs it.</summary>
    private static string NamespaceOf(INamedTypeSymbol type)
    {
        var names = new List<string>();
        for (INamespaceSymbol? ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            names.Insert(0, ns.Name);
        return string.Join(".", names);
    }

    /// <summary>A name no other type of the compilation has, not even a file-local one (its metadata name carries its file).</summary>
    private static string MetadataIdentity(INamedTypeSymbol type)
    {
        var names = new List<string>();
        for (ISymbol? symbol = type; symbol is not null and not INamespaceSymbol { IsGlobalNamespace: true }; symbol = symbol.ContainingSymbol)
            names.Insert(0, symbol.MetadataName);
        return string.Join(".", names);
    }

    private static EquatableArray<ContainingTypeSpec> ContainingTypeDeclarations(INamedTypeSymbol type)
    {
        var declarations = new List<ContainingTypeSpec>();
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
            declarations.Insert(0, new ContainingTypeSpec(keyword, outer.Name));
        }
        return declarations.ToEquatableArray();
    }

    /// <summary>What parsing one layer needs: its property and attribute, and the width flowing into it.</summary>
    private sealed class LayerContext(IPropertySymbol property, AttributeData attribute, AttributeSyntax? syntax, string viewType,
        int inputWidth, string inputSource, List<DiagnosticInfo> diagnostics)
    {
        public IPropertySymbol Property { get; } = property;
        public AttributeData Attribute { get; } = attribute;
        public AttributeSyntax? Syntax { get; } = syntax;
        public string ViewType { get; } = viewType;
        public int InputWidth { get; } = inputWidth;
        public string InputSource { get; } = inputSource;
        public List<DiagnosticInfo> Diagnostics { get; } = diagnostics;
        public bool Usable { get; set; } = true;
        public string Modifiers { get; set; } = "";
    }

    /// <summary>The layer's property must be a partial get-only instance property of the view type; false if it is not.</summary>
    private static bool CheckProperty(LayerContext layer, string elementType, CancellationToken cancellationToken)
    {
        IPropertySymbol property = layer.Property;
        var propertySyntax = property.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<PropertyDeclarationSyntax>()
            .FirstOrDefault();
        if (propertySyntax is null || layer.Syntax is null)
            return false;
        bool usable = true;
        bool isPartialGetOnly = propertySyntax.Modifiers.Any(SyntaxKind.PartialKeyword)
            && !property.IsStatic
            && property.SetMethod is null
            && propertySyntax.AccessorList is { } accessors
            && accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null);
        if (!isPartialGetOnly)
        {
            usable = false;
            Report(layer.Diagnostics, DiagnosticDescriptors.LayerMustBePartialProperty, propertySyntax.Identifier, property.Name, layer.ViewType);
        }
        if (!IsView(property.Type, layer.ViewType))
        {
            usable = false;
            Report(layer.Diagnostics, DiagnosticDescriptors.LayerTypeMismatch, propertySyntax.Type, property.Name, layer.ViewType,
                property.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
        }
        // Arguments with compile errors of their own (a non-constant, a missing value) are left to the C# compiler.
        if (layer.Attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error)
            || layer.Attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error))
            return false;
        layer.Modifiers = string.Join(" ", propertySyntax.Modifiers.Select(m => m.Text));
        return usable;
    }

    private static LayerSpec? ParseDense(LayerContext layer)
    {
        if (layer.Attribute.ConstructorArguments.Length < 2)
            return null;
        string name = layer.Property.Name;
        int units = RequirePositive(layer, layer.Attribute.ConstructorArguments[0].Value, "units", position: 0, $"Units of layer '{name}'");
        bool usable = layer.Usable;
        var activation = ToEnum<ActivationKind>(layer.Attribute.ConstructorArguments[1].Value, layer.Syntax, "activation", position: 1, "Activation", layer.Diagnostics, ref usable);
        var init = ReadEnum<InitKind>(layer.Attribute, layer.Syntax, "Init", position: -1, "Init", layer.Diagnostics, ref usable);
        if (init == InitKind.Zeros)
        {
            usable = false;
            Report(layer.Diagnostics, DiagnosticDescriptors.ZeroInitialization, FindArgument(layer.Syntax, "Init", position: -1), name);
        }
        return usable ? new DenseSpec(name, layer.Modifiers, units, activation, init) : null;
    }

    private static LayerSpec? ParseNorm(LayerContext layer, NormKind kind)
    {
        string name = layer.Property.Name;
        double epsilon = ReadEpsilon(layer);
        CheckDeclaredWidth(layer, "Features", $"{kind} '{name}'");
        return layer.Usable ? new NormSpec(name, layer.Modifiers, kind, epsilon) : null;
    }

    private static LayerSpec? ParseResidual(LayerContext layer)
    {
        if (layer.Attribute.ConstructorArguments.Length < 2)
            return null;
        string name = layer.Property.Name;
        bool usable = layer.Usable;
        var norm = ToEnum<NormKind>(layer.Attribute.ConstructorArguments[0].Value, layer.Syntax, "norm", position: 0, "Norm", layer.Diagnostics, ref usable);
        var activation = ToEnum<ActivationKind>(layer.Attribute.ConstructorArguments[1].Value, layer.Syntax, "activation", position: 1, "Activation", layer.Diagnostics, ref usable);
        var placement = ReadEnum<NormPlacementKind>(layer.Attribute, layer.Syntax, "Placement", position: -1, "NormPlacement", layer.Diagnostics, ref usable);
        layer.Usable = usable;
        int repeat = ReadNamed(layer.Attribute, "Repeat") is { } r
            ? RequirePositive(layer, r, "Repeat", position: -1, $"Repeat of '{name}'")
            : 1;
        int hidden = ReadNamed(layer.Attribute, "Hidden") is { } h and not 0
            ? RequirePositive(layer, h, "Hidden", position: -1, $"Hidden of '{name}'")
            : 0;
        bool reZero = ReadNamed(layer.Attribute, "ReZero") is true;
        double epsilon = ReadEpsilon(layer);
        CheckDeclaredWidth(layer, "Width", $"Residual stack '{name}'");
        return layer.Usable ? new ResidualSpec(name, layer.Modifiers, norm, activation, repeat, hidden, placement, reZero, epsilon) : null;
    }

    private static int RequirePositive(LayerContext layer, object? value, string argument, int position, string what)
    {
        int number = value is int n ? n : 0;
        if (number <= 0)
        {
            layer.Usable = false;
            Report(layer.Diagnostics, DiagnosticDescriptors.SizeMustBePositive, FindArgument(layer.Syntax, argument, position), what,
                number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return number;
    }

    private static double ReadEpsilon(LayerContext layer)
    {
        if (ReadNamed(layer.Attribute, "Epsilon") is not double epsilon || epsilon == 0)
            return 0;
        if (epsilon > 0 && !double.IsInfinity(epsilon))
            return epsilon;
        layer.Usable = false;
        Report(layer.Diagnostics, DiagnosticDescriptors.SizeMustBePositive, FindArgument(layer.Syntax, "Epsilon", position: -1),
            $"Epsilon of '{layer.Property.Name}'", epsilon.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>A stated width (<c>Features</c>, <c>Width</c>) must equal the width flowing in: CR0010 otherwise.</summary>
    private static void CheckDeclaredWidth(LayerContext layer, string argument, string what)
    {
        if (ReadNamed(layer.Attribute, argument) is not int declared || declared == 0)
            return;
        if (declared < 0)
        {
            RequirePositive(layer, declared, argument, position: -1, $"{argument} of '{layer.Property.Name}'");
            return;
        }
        if (declared == layer.InputWidth || layer.InputWidth <= 0)
            return;
        layer.Usable = false;
        Report(layer.Diagnostics, DiagnosticDescriptors.WidthMismatch, FindArgument(layer.Syntax, argument, position: -1), what,
            declared.ToString(System.Globalization.CultureInfo.InvariantCulture), layer.InputSource,
            layer.InputWidth.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static object? ReadNamed(AttributeData attribute, string name)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
                return argument.Value.Value;
        }
        return null;
    }

    private static bool IsView(ITypeSymbol type, string viewType) =>
        type is INamedTypeSymbol { IsGenericType: true, ContainingNamespace.Name: "ChainRule" } named
        && named.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) == viewType;


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
