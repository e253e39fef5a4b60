using ChainRule.Generators.Diagnostics;
using ChainRule.Generators.Model;
using ChainRule.Generators.Parsing;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ChainRule.Generators.Kinds;

/// <summary>The cell of a recurrent layer, with PyTorch's gate blocks: LSTM i, f, g, o; GRU r, z, n; RNN one.</summary>
internal enum RecurrentCell
{
    Lstm = 0,
    Gru = 1,
    Rnn = 2,
}

/// <summary><c>[Lstm(hidden)]</c>, <c>[Gru(hidden)]</c> or <c>[Rnn(hidden, activation)]</c> with their shared options.</summary>
/// <param name="Activation">The RNN's nonlinearity, Tanh or ReLU; Tanh (unused) for LSTM and GRU.</param>
/// <param name="Steps">The sequence length <c>T</c> the layer reads.</param>
/// <param name="Truncate">Truncated BPTT over the last <c>K</c> steps; 0 for full BPTT.</param>
/// <param name="RecurrentInit"><see cref="InitKind.Default"/> (PyTorch's <c>U(±1/√H)</c>) or a scheme for each gate block of <c>W_hh</c>.</param>
/// <param name="ForgetBias">The LSTM forget gate's initial bias; 0 keeps PyTorch's draw.</param>
internal sealed record RecurrentSpec(string Name, string Modifiers, RecurrentCell Cell, int Hidden, ActivationKind Activation, int Steps,
    bool ReturnSequences, int Truncate, InitKind RecurrentInit, double ForgetBias)
    : LayerSpec(Name, Modifiers)
{
    public override LayerKind LayerKind => RecurrentLayerKind.For(Cell);
}

/// <summary>
/// Recurrent layers, one registered kind per attribute (<c>[Lstm]</c>, <c>[Gru]</c>, <c>[Rnn]</c>), as the norm kind
/// serves three norms: parsing here, lowering in <c>RecurrentLayerKind.Lowering.cs</c>, the generated code (kernel calls
/// of <c>ChainRule.Kernels.Lstm</c>, <c>Gru</c>, <c>Rnn</c>, whose time loops run inside) in
/// <c>RecurrentLayerKind.Emitting.cs</c>.
/// </summary>
internal sealed partial class RecurrentLayerKind(RecurrentCell cell, string attributeName, string viewType, string noun)
    : LayerKind<RecurrentSpec, RecurrentStep>(attributeName, viewType, noun)
{
    public static readonly RecurrentLayerKind Lstm = new(RecurrentCell.Lstm, "ChainRule.LstmAttribute", "RecurrentLayer", "LSTM layer");
    public static readonly RecurrentLayerKind Gru = new(RecurrentCell.Gru, "ChainRule.GruAttribute", "RecurrentLayer", "GRU layer");
    public static readonly RecurrentLayerKind Rnn = new(RecurrentCell.Rnn, "ChainRule.RnnAttribute", "RecurrentLayer", "RNN layer");

    public static RecurrentLayerKind For(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => Lstm,
        RecurrentCell.Gru => Gru,
        _ => Rnn,
    };

    /// <summary>Gate blocks of <c>W_ih</c> and <c>W_hh</c>, each <c>H</c> rows: 4, 3 or 1.</summary>
    public static int Gates(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => 4,
        RecurrentCell.Gru => 3,
        _ => 1,
    };

    public override bool IsRecurrent => true;

    public override bool ReturnsSequence(LayerSpec spec) => ((RecurrentSpec)spec).ReturnSequences;

    public override LayerSpec? Parse(LayerParseContext layer)
    {
        if (layer.Attribute.ConstructorArguments.Length < 1)
            return null;
        string name = layer.Name;
        int hidden = layer.RequirePositive(layer.Attribute.ConstructorArguments[0].Value, "hidden", position: 0, $"Hidden of layer '{name}'");
        bool usable = layer.Usable;
        var activation = ActivationKind.Tanh;
        if (cell == RecurrentCell.Rnn && layer.Attribute.ConstructorArguments.Length > 1)
        {
            activation = layer.Enum<ActivationKind>(layer.Attribute.ConstructorArguments[1].Value, "activation", position: 1, "Activation", ref usable);
            // PyTorch's nn.RNN has nonlinearity='tanh' or 'relu' only, and so does the kernel.
            if (usable && activation is not (ActivationKind.Tanh or ActivationKind.ReLU))
            {
                usable = false;
                layer.Report(DiagnosticDescriptors.UnknownOption, layer.Argument("activation", position: 1),
                    $"Activation.{activation}", "RNN activation", "Tanh, ReLU");
            }
        }
        bool returnSequences = layer.Named("ReturnSequences") is true;
        int truncate = layer.Named("Truncate") is int k ? k : 0;
        if (truncate < 0 || (layer.Steps > 0 && truncate > layer.Steps))
        {
            usable = false;
            layer.Report(DiagnosticDescriptors.SequenceValueOutOfRange, layer.Argument("Truncate", position: -1),
                $"Truncate of '{name}'", truncate.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"it must be 0 (full backpropagation through time) or a number of steps from 1 to Steps = {layer.Steps.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        var recurrentInit = layer.NamedEnum<InitKind>("RecurrentInit", "Init", ref usable);
        if (recurrentInit == InitKind.Zeros)
        {
            usable = false;
            layer.Report(DiagnosticDescriptors.ZeroInitialization, layer.Argument("RecurrentInit", position: -1), name);
        }
        double forgetBias = layer.Named("ForgetBias") is double bias ? bias : 0;
        if (double.IsNaN(forgetBias) || double.IsInfinity(forgetBias))
        {
            usable = false;
            layer.Report(DiagnosticDescriptors.SequenceValueOutOfRange, layer.Argument("ForgetBias", position: -1),
                $"ForgetBias of '{name}'", forgetBias.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "it must be a finite number");
        }
        return usable && layer.Usable
            ? new RecurrentSpec(name, layer.Modifiers, cell, hidden, activation, layer.Steps, returnSequences, truncate, recurrentInit, forgetBias)
            : null;
    }

    public override AttributeArgumentSyntax? TooLargeArgument(LayerParseContext layer, bool tooManyLayers) => layer.Argument("hidden", position: 0);

    protected override int OutputWidth(RecurrentSpec spec, int inputWidth) => spec.Hidden;
}
