using System;
using System.Collections.Generic;
using ChainRule.Generators.Diagnostics;
using ChainRule.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.Generators.Parsing;

/// <summary>
/// What parsing one layer needs: its property and attribute, the width flowing into it, and the argument readers
/// that report through the model's diagnostics. A layer kind's <c>Parse</c> reads its attribute only through this.
/// </summary>
internal sealed class LayerParseContext(IPropertySymbol property, AttributeData attribute, AttributeSyntax? syntax, string viewType,
    PrecisionKind precision, int inputWidth, string inputSource, List<DiagnosticInfo> diagnostics, int steps = 0)
{
    /// <summary>The network's sequence length <c>T</c> (<c>[Network(Steps = T)]</c>); 0 for a model that reads no sequences.</summary>
    public int Steps { get; } = steps;

    public PrecisionKind Precision { get; } = precision;
    public IPropertySymbol Property { get; } = property;
    public AttributeData Attribute { get; } = attribute;
    public AttributeSyntax? Syntax { get; } = syntax;
    public string ViewType { get; } = viewType;
    public int InputWidth { get; } = inputWidth;
    public string InputSource { get; } = inputSource;
    public List<DiagnosticInfo> Diagnostics { get; } = diagnostics;
    public bool Usable { get; set; } = true;
    public string Modifiers { get; set; } = "";

    /// <summary>The property's name, which names the layer.</summary>
    public string Name => Property.Name;

    /// <summary>The value of the named argument <paramref name="name"/>, or null when it is not written.</summary>
    public object? Named(string name) => NetworkParser.ReadNamed(Attribute, name);

    /// <summary>The argument that supplied <paramref name="name"/> (<paramref name="position"/> −1 for a named property).</summary>
    public AttributeArgumentSyntax? Argument(string name, int position) => NetworkParser.FindArgument(Syntax, name, position);

    /// <summary><paramref name="value"/> as <typeparamref name="TEnum"/>; CR0011 and <paramref name="usable"/> false if it is not one.</summary>
    public TEnum Enum<TEnum>(object? value, string name, int position, string enumName, ref bool usable)
        where TEnum : struct, Enum =>
        NetworkParser.ToEnum<TEnum>(value, Syntax, name, position, enumName, Diagnostics, ref usable);

    /// <summary>The named argument <paramref name="name"/> as <typeparamref name="TEnum"/>, or its default when it is not written.</summary>
    public TEnum NamedEnum<TEnum>(string name, string enumName, ref bool usable)
        where TEnum : struct, Enum =>
        NetworkParser.ReadEnum<TEnum>(Attribute, Syntax, name, position: -1, enumName, Diagnostics, ref usable);

    public void Report(DiagnosticDescriptor descriptor, SyntaxNode? node, params string[] arguments) =>
        NetworkParser.Report(Diagnostics, descriptor, node, arguments);

    public int RequirePositive(object? value, string argument, int position, string what)
    {
        int number = value is int n ? n : 0;
        if (number <= 0)
        {
            Usable = false;
            Report(DiagnosticDescriptors.SizeMustBePositive, Argument(argument, position), what,
                number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return number;
    }

    public double ReadEpsilon()
    {
        if (Named("Epsilon") is not double epsilon || epsilon == 0)
            return 0;
        // The generated code writes ε as a literal of the element type: below its smallest normal value a float
        // literal silently becomes 0 or a subnormal, above its largest it does not compile.
        bool isDouble = Precision == PrecisionKind.Double;
        double smallest = isDouble ? 2.2250738585072014E-308 : 1.1754943508222875E-38;
        double largest = isDouble ? double.MaxValue : float.MaxValue;
        if (epsilon >= smallest && epsilon <= largest)
            return epsilon;
        Usable = false;
        var argument = Argument("Epsilon", position: -1);
        string what = $"Epsilon of '{Property.Name}'";
        string written = epsilon.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (epsilon > 0)
            Report(DiagnosticDescriptors.ValueOutOfElementRange, argument, what, written, isDouble ? "double" : "float",
                isDouble ? smallest.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : ((float)smallest).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                isDouble ? largest.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : ((float)largest).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        else
            Report(DiagnosticDescriptors.SizeMustBePositive, argument, what, written);
        return 0;
    }

    /// <summary>A stated width (<c>Features</c>, <c>Width</c>) must equal the width flowing in: CR0010 otherwise.</summary>
    public void CheckDeclaredWidth(string argument, string what)
    {
        if (Named(argument) is not int declared || declared == 0)
            return;
        if (declared < 0)
        {
            RequirePositive(declared, argument, position: -1, $"{argument} of '{Property.Name}'");
            return;
        }
        if (declared == InputWidth || InputWidth <= 0)
            return;
        Usable = false;
        Report(DiagnosticDescriptors.WidthMismatch, Argument(argument, position: -1), what,
            declared.ToString(System.Globalization.CultureInfo.InvariantCulture), InputSource,
            InputWidth.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
