using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using ChainRule.Generators.Diagnostics;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Kinds;
using ChainRule.Generators.Lowering;
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

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Parse((INamedTypeSymbol)context.TargetSymbol, (TypeDeclarationSyntax)context.TargetNode, context.Attributes[0],
            context.SemanticModel.Compilation, cancellationToken);

    /// <summary>
    /// Parses <paramref name="type"/> from its part <paramref name="declaration"/>, which carries
    /// <paramref name="network"/>; the generator and <see cref="StabilityAnalyzer"/> both come here, so the analyzer's
    /// lints see exactly the spec the generator compiles.
    /// </summary>
    public static ParseResult Parse(INamedTypeSymbol type, TypeDeclarationSyntax declaration, AttributeData network,
        Compilation compilation, CancellationToken cancellationToken)
    {
        // [Network] on two parts of a partial class is CS0579 (the attribute allows one); the model is parsed once,
        // from the part that carries the first, so it is not generated twice.
        if (!CarriesFirstNetworkAttribute(type, declaration))
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        var diagnostics = new List<DiagnosticInfo>();
        bool usable = CheckType(type, declaration, compilation, diagnostics);

        var networkSyntax = network.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

        int inputs = ReadNamed(network, "Inputs") is int declaredInputs ? declaredInputs : 0;
        if (inputs <= 0)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.SizeMustBePositive,
                (SyntaxNode?)FindArgument(networkSyntax, "Inputs", position: -1) ?? networkSyntax, "Inputs", inputs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        int steps = ReadNamed(network, "Steps") is int declaredSteps ? declaredSteps : 0;
        if (steps < 0)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.SequenceValueOutOfRange, (SyntaxNode?)FindArgument(networkSyntax, "Steps", position: -1) ?? networkSyntax,
                "Steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "a sequence length must be positive, or 0 for a network that reads no sequences");
        }

        var loss = ReadEnum<LossKind>(network, networkSyntax, "Loss", position: -1, "Loss", diagnostics, ref usable);
        var precision = ReadEnum<PrecisionKind>(network, networkSyntax, "Precision", position: -1, "Precision", diagnostics, ref usable);
        string elementType = precision == PrecisionKind.Double ? "double" : "float";
        usable &= CheckGeneratedNames(type, declaration, precision, compilation, diagnostics, cancellationToken);

        var layers = new List<LayerSpec>();
        var sites = new List<LayerSite>();
        LayerParseContext? last = null;
        int width = inputs;
        string widthSource = "the network input";
        Footprint size = default;
        // Sizes are added up only while they mean something: from a positive input width, until one is over a limit
        // (the later totals would say nothing new).
        bool measuring = inputs > 0;
        // While the layers read a sequence (from the input of a Steps model until a recurrent layer returns its last
        // step), each sample is `steps` rows of `width` features.
        bool sequence = steps > 0;
        string? lastStepLayer = null;
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IPropertySymbol property)
                continue;
            var layerAttributes = property.GetAttributes()
                .Select(a => (Attribute: a, Kind: LayerKinds.ForAttribute(a.AttributeClass?.ToDisplayString())))
                .Where(a => a.Kind is not null)
                .ToList();
            if (layerAttributes.Count == 0)
                continue;
            if (!CheckLayerDeclaration(property, layerAttributes.Select(a => a.Attribute).ToList(), diagnostics, cancellationToken))
            {
                usable = false;
                continue;
            }
            var (attribute, kind) = layerAttributes[0];
            var layerContext = new LayerParseContext(property, attribute, attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax,
                $"{kind!.ViewType}<{elementType}>", precision, width, widthSource, diagnostics, System.Math.Max(steps, 0));
            LayerSpec? layer = CheckProperty(layerContext, elementType, cancellationToken) is false ? null : kind.Parse(layerContext);
            if (layer is null)
            {
                usable = false;
                continue;
            }
            if (!CheckSequence(layerContext, kind, sequence, steps, lastStepLayer))
            {
                usable = false;
                continue;
            }
            if (measuring)
            {
                size += Footprint.Of(layer, width, first: layers.Count == 0, sequence ? steps : 1);
                measuring = CheckSize(layerContext, layer, size);
                usable &= measuring;
            }
            layers.Add(layer);
            last = layerContext;
            sites.Add(new LayerSite(layer.Name, LocationInfo.From(layerContext.Syntax),
                LocationInfo.From(FindArgument(layerContext.Syntax, "Init", position: -1)),
                LocationInfo.From(FindArgument(layerContext.Syntax, "Placement", position: -1))));
            width = kind.OutputWidth(layer, width);
            widthSource = $"'{property.Name}'";
            if (kind.IsRecurrent && !kind.ReturnsSequence(layer))
            {
                sequence = false;
                lastStepLayer = property.Name;
            }
        }

        // Softmax cross-entropy takes one label per sample; MSE and BCE apply per element, so per step too.
        if (usable && last is not null && sequence && steps > 0 && loss == LossKind.SoftmaxCrossEntropy)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.NotSupportedOnSequence, (SyntaxNode?)FindArgument(networkSyntax, "Loss", position: -1) ?? networkSyntax,
                "The loss SoftmaxCrossEntropy",
                $"'{last.Name}', the last layer, outputs every one of the {steps} steps, and softmax cross-entropy takes one label per sample; return only the last step from the recurrent layer (ReturnSequences = false), or use MeanSquaredError or BinaryCrossEntropyWithLogits, which apply to every element");
        }

        if (layers.Count == 0 && usable)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.NetworkHasNoLayers, declaration.Identifier, type.Name);
        }

        if (usable && last is not null)
            layers[layers.Count - 1].LayerKind.CheckLast(last, layers[layers.Count - 1], loss);

        NetworkSpec? spec = usable
            ? new NetworkSpec(
                NamespaceOf(type),
                ContainingTypeDeclarations(type),
                type.Name,
                MetadataIdentity(type),
                inputs,
                loss,
                precision,
                layers.ToEquatableArray(),
                steps)
            : null;
        return new ParseResult(spec, diagnostics.ToEquatableArray(), sites.ToEquatableArray());
    }

    /// <summary>
    /// CR0024 on a recurrent layer with no sequence to read; CR0026 on a layer that cannot apply to each step of the
    /// sequence it reads (norms and residual blocks: they would have to be told whether to normalize across steps).
    /// </summary>
    private static bool CheckSequence(LayerParseContext layer, LayerKind kind, bool sequence, int steps, string? lastStepLayer)
    {
        if (kind.IsRecurrent && !sequence)
        {
            string reason = lastStepLayer is not null
                ? $"'{lastStepLayer}' before it returns only its last step; declare '{lastStepLayer}' with ReturnSequences = true to stack recurrent layers"
                : steps == 0
                    ? "the network declares no sequence length; declare it as [Network(Inputs = F, Steps = T)] to read each sample as T steps of F features"
                    : "the network's sequence length is not valid";
            layer.Report(DiagnosticDescriptors.RecurrentLayerWithoutSequence, layer.Syntax, layer.Name, reason);
            return false;
        }
        if (sequence && !kind.IsRecurrent && !kind.AppliesPerStep)
        {
            layer.Report(DiagnosticDescriptors.NotSupportedOnSequence, layer.Syntax, $"{kind.Noun} '{layer.Name}'",
                $"its input is a sequence of {steps} steps, and only dense layers apply to each step; place it after a recurrent layer that returns its last step (ReturnSequences = false)");
            return false;
        }
        return true;
    }

    private static bool CheckType(INamedTypeSymbol type, TypeDeclarationSyntax declaration, Compilation compilation, List<DiagnosticInfo> diagnostics)
    {
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            Report(diagnostics, DiagnosticDescriptors.NetworkMustBePartial, declaration.Identifier, type.Name);
            return false;
        }
        string? reason =
            type.IsRecord ? "a record's synthesized equality, printing and 'with' copies would compare, print and share the parameter buffers; declare it as a class" :
            type.IsStatic ? "a static class has no instances to hold parameters" :
            type.IsGenericType ? "generic classes are not supported, since every size must be known when the code is generated" :
            type.IsFileLocal ? "a 'file' class exists only in its own file, so the generated file cannot add to it (a 'file partial class' there would be another class)" :
            ContainingTypeProblem(type);
        if (reason is not null)
        {
            Report(diagnostics, DiagnosticDescriptors.UnsupportedNetworkType, declaration.Identifier, type.Name, reason);
            return false;
        }
        // The generated constructor calls base() implicitly. A base that does not resolve is the C# compiler's to report.
        if (type.BaseType is { SpecialType: not SpecialType.System_Object, TypeKind: not TypeKind.Error } baseType
            && !baseType.InstanceConstructors.Any(c => c.Parameters.All(p => p.IsOptional || p.IsParams) && compilation.IsSymbolAccessibleWithin(c, type)))
        {
            Report(diagnostics, DiagnosticDescriptors.UnsupportedNetworkType, (SyntaxNode?)BaseTypeSyntax(declaration) ?? declaration, type.Name,
                $"its base class '{baseType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}' has no accessible parameterless constructor for the generated constructor to call");
            return false;
        }
        return true;
    }

    /// <summary>The base class as written in this part's base list (C# puts it first), if this part names it.</summary>
    private static BaseTypeSyntax? BaseTypeSyntax(TypeDeclarationSyntax declaration) => declaration.BaseList?.Types.FirstOrDefault();

    /// <summary>
    /// CR0016 for every user member, the class itself and inherited member that would collide with a member the
    /// generator writes (<see cref="GeneratedMembers"/>); false if any does.
    /// </summary>
    private static bool CheckGeneratedNames(INamedTypeSymbol type, TypeDeclarationSyntax declaration, PrecisionKind precision, Compilation compilation,
        List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var generated = GeneratedMembers.For(precision);
        bool usable = true;
        if (generated.FirstOrDefault(g => g.Kind != "constructor" && g.Name == type.Name) is { } sameAsType)
        {
            usable = false;
            Report(diagnostics, DiagnosticDescriptors.NameCollidesWithGeneratedMember, declaration.Identifier,
                $"The network name '{type.Name}'", sameAsType.Display(sameAsType.Name), "a member cannot have its class's name, so rename the class");
        }
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member.IsImplicitlyDeclared || member.Locations.FirstOrDefault(l => l.IsInSource && !IsOwnOutput(l.SourceTree)) is not { } location
                || member is IMethodSymbol { MethodKind: not (MethodKind.Ordinary or MethodKind.Constructor) })
                continue;
            if (Collision(member, generated) is not { } collision)
                continue;
            usable = false;
            bool isLayer = member is IPropertySymbol property && property.GetAttributes().Any(a => LayerKinds.ForAttribute(a.AttributeClass?.ToDisplayString()) is not null);
            string what = member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                ? $"The constructor '{type.Name}({string.Join(", ", constructor.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)))})'"
                : $"{(isLayer ? "Layer" : "Member")} '{member.Name}'";
            string remedy = collision.Kind == "constructor" ? "remove it or give it other parameters: the generated constructor initializes every parameter from the seed"
                : collision.IsPartialDefinition ? $"implement the hook as 'partial void {collision.Name}(...)' with the generated signature, or rename it"
                : "rename it";
            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.NameCollidesWithGeneratedMember.Id, LocationInfo.From(location),
                new[] { what, collision.Display(collision.Kind == "constructor" ? type.Name : collision.Name), remedy }.ToEquatableArray()));
        }
        // A generated member would hide an inherited one: CS0108 in the generated file.
        for (INamedTypeSymbol? baseType = type.BaseType; baseType is { SpecialType: not SpecialType.System_Object }; baseType = baseType.BaseType)
        {
            foreach (ISymbol member in baseType.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (member.IsImplicitlyDeclared || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary } || IsOwnOutput(member)
                    || !compilation.IsSymbolAccessibleWithin(member, type)
                    || Collision(member, generated) is not { } collision)
                    continue;
                usable = false;
                Report(diagnostics, DiagnosticDescriptors.NameCollidesWithGeneratedMember, (SyntaxNode?)BaseTypeSyntax(declaration) ?? declaration,
                    $"'{member.Name}', inherited from '{baseType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}',", collision.Display(collision.Name),
                    "the generated member would hide it, so rename it in the base class or do not derive the network from it");
            }
        }
        return usable;
    }

    /// <summary>
    /// The generated member <paramref name="member"/> would clash with: any of the same name, except a method or
    /// constructor with other parameter types (an overload) and the user's implementation of a generated partial method.
    /// </summary>
    private static GeneratedMember? Collision(ISymbol member, ImmutableArray<GeneratedMember> generated)
    {
        if (member is IMethodSymbol method)
        {
            string signature = GeneratedMembers.Signature(method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
            bool isConstructor = method.MethodKind == MethodKind.Constructor;
            bool implementsPartial = method.IsPartialDefinition is false && method.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax()).OfType<MethodDeclarationSyntax>().Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword) && (d.Body ?? (SyntaxNode?)d.ExpressionBody) is not null);
            return generated.FirstOrDefault(g => isConstructor
                ? g.Kind == "constructor" && g.Signature == signature
                : g.Kind != "constructor" && g.Name == member.Name
                    && (g.Signature is null || (g.Signature == signature && !(g.IsPartialDefinition && implementsPartial))));
        }
        return generated.FirstOrDefault(g => g.Kind != "constructor" && g.Name == member.Name);
    }

    /// <summary>
    /// CR0017 when a property cannot become a layer: it has more than one layer attribute, it is an indexer, or the
    /// user already implemented it; false if so.
    /// </summary>
    private static bool CheckLayerDeclaration(IPropertySymbol property, List<AttributeData> layerAttributes, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (layerAttributes.Count > 1)
        {
            Report(diagnostics, DiagnosticDescriptors.UnsupportedLayerDeclaration, layerAttributes[1].ApplicationSyntaxReference?.GetSyntax(cancellationToken),
                $"'{property.Name}'", $"it has two layer attributes, [{AttributeShortName(layerAttributes[0])}] and [{AttributeShortName(layerAttributes[1])}], and a property declares one layer");
            return false;
        }
        if (property.IsIndexer)
        {
            var indexer = property.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<IndexerDeclarationSyntax>().FirstOrDefault();
            string reason = "a layer is a named partial property, e.g. 'public partial DenseLayer<float> Hidden { get; }'";
            if (indexer is not null)
                Report(diagnostics, DiagnosticDescriptors.UnsupportedLayerDeclaration, indexer.ThisKeyword, "An indexer", reason);
            else
                Report(diagnostics, DiagnosticDescriptors.UnsupportedLayerDeclaration, (SyntaxNode?)null, "An indexer", reason);
            return false;
        }
        if (property.PartialImplementationPart is { } implementation && !IsOwnOutput(implementation)
            && implementation.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<PropertyDeclarationSyntax>().FirstOrDefault() is { } body)
        {
            Report(diagnostics, DiagnosticDescriptors.UnsupportedLayerDeclaration, body.Identifier,
                $"'{property.Name}'", "it already has an implementing declaration here, and the generator writes the layer's implementation; remove this one");
            return false;
        }
        return true;
    }

    private static string AttributeShortName(AttributeData attribute)
    {
        string name = attribute.AttributeClass?.Name ?? "?";
        return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    /// <summary>
    /// CR0015 when the network up to and including <paramref name="layer"/> (<paramref name="total"/>) is past a limit
    /// of <see cref="NetworkLimits"/>, pointing at the argument that made it so; false if it is.
    /// </summary>
    private static bool CheckSize(LayerParseContext context, LayerSpec layer, Footprint total)
    {
        string array = $"but a .NET array holds at most {Count(NetworkLimits.MaxArrayLength)} elements";
        string? problem =
            total.Layers > NetworkLimits.MaxLayers
                ? $"it unrolls the network to {Count(total.Layers)} layers, but the generator writes straight-line code for at most {Count(NetworkLimits.MaxLayers)} (each dense or norm layer counts one, each residual block three)"
            : total.Parameters > NetworkLimits.MaxArrayLength
                ? $"the network's parameters would number {Count(total.Parameters)}, {array}"
            : total.PerSample + total.Fixed > NetworkLimits.MaxArrayLength
                ? $"one sample's workspace would hold {Count(total.PerSample + total.Fixed)} values, {array}"
            : total.Statistics > NetworkLimits.MaxArrayLength
                ? $"the network's running statistics would number {Count(total.Statistics)}, {array}"
            : null;
        if (problem is null)
            return true;
        AttributeArgumentSyntax? argument = layer.LayerKind.TooLargeArgument(context, tooManyLayers: total.Layers > NetworkLimits.MaxLayers);
        context.Usable = false;
        Report(context.Diagnostics, DiagnosticDescriptors.NetworkTooLarge, (SyntaxNode?)argument ?? context.Syntax, $"{layer.LayerKind.Noun} '{layer.Name}'", problem);
        return false;
    }

    private static string Count(long value) =>
        value == long.MaxValue ? $"more than {value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}" : value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

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
            if (outer.IsFileLocal)
                return $"its containing type '{outer.Name}' is a 'file' class, which exists only in its own file, so the generated file cannot reopen it";
        }
        return null;
    }

    /// <summary>Whether the type's first <c>[Network]</c> (in declaration order) is written on <paramref name="declaration"/>.</summary>
    /// <summary>
    /// Whether <paramref name="tree"/> is this generator's output. The generator never sees its own files, but
    /// <see cref="StabilityAnalyzer"/> parses the compilation they are part of, where the generated members and layer
    /// implementations must not count as the user's.
    /// </summary>
    private static bool IsOwnOutput(SyntaxTree? tree) =>
        tree is not null && tree.FilePath.Replace('\\', '/').Contains(OwnOutputFolder);

    private static bool IsOwnOutput(ISymbol symbol) =>
        symbol.Locations.Length > 0 && symbol.Locations.All(l => IsOwnOutput(l.SourceTree));

    /// <summary>Roslyn puts a generator's files under <c>{assembly}/{generator type}/</c>.</summary>
    private static readonly string OwnOutputFolder = "/" + typeof(NetworkGenerator).FullName + "/";

    private static bool CarriesFirstNetworkAttribute(INamedTypeSymbol type, TypeDeclarationSyntax declaration)
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

    /// <summary>The layer's property must be a partial get-only instance property of the view type; false if it is not.</summary>
    private static bool CheckProperty(LayerParseContext layer, string elementType, CancellationToken cancellationToken)
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

    internal static object? ReadNamed(AttributeData attribute, string name)
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


    internal static TEnum ReadEnum<TEnum>(AttributeData attribute, AttributeSyntax? syntax, string name, int position, string enumName, List<DiagnosticInfo> diagnostics, ref bool usable)
        where TEnum : struct, Enum
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
                return ToEnum<TEnum>(argument.Value.Value, syntax, name, position, enumName, diagnostics, ref usable);
        }
        return default;
    }

    internal static TEnum ToEnum<TEnum>(object? value, AttributeSyntax? syntax, string name, int position, string enumName, List<DiagnosticInfo> diagnostics, ref bool usable)
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

    /// <summary>
    /// Finds the argument that supplied a parameter: by <c>Name = value</c> or <c>name: value</c>, or else by its
    /// position among the positional arguments (<paramref name="position"/> −1 for properties, which have none).
    /// </summary>
    internal static AttributeArgumentSyntax? FindArgument(AttributeSyntax? attribute, string name, int position)
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

    internal static void Report(List<DiagnosticInfo> diagnostics, DiagnosticDescriptor descriptor, SyntaxNode? node, params string[] arguments) =>
        diagnostics.Add(new DiagnosticInfo(descriptor.Id, LocationInfo.From(node), arguments.ToEquatableArray()));

    private static void Report(List<DiagnosticInfo> diagnostics, DiagnosticDescriptor descriptor, SyntaxToken token, params string[] arguments) =>
        diagnostics.Add(new DiagnosticInfo(descriptor.Id, LocationInfo.From(token), arguments.ToEquatableArray()));
}
