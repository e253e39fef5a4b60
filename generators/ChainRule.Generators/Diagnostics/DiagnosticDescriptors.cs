using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace ChainRule.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are never reused once shipped; each has a page at
/// <c>docs/diagnostics/{ID}.md</c> and a line in AnalyzerReleases.Unshipped.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "ChainRule.Declaration";
    private const string Stability = "ChainRule.Stability";

    public static readonly DiagnosticDescriptor NetworkMustBePartial = Create(
        "CR0001", "Network class must be partial",
        "'{0}' is marked [Network] and must be declared 'partial' so that the generated forward and backward passes can be added to it",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NetworkHasNoLayers = Create(
        "CR0002", "Network has no layers",
        "'{0}' is marked [Network] but declares no layers; add a partial property with a layer attribute such as [Dense(10)]",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SizeMustBePositive = Create(
        "CR0003", "Size must be positive",
        "{0} must be a positive number, but is {1}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnknownOption = Create(
        "CR0004", "Unknown option",
        "{0} is not a defined {1} value; use one of: {2}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LayerMustBePartialProperty = Create(
        "CR0005", "Layer must be a partial get-only instance property",
        "Layer '{0}' must be declared as a non-static partial property with only a getter, e.g. 'public partial {1} {0} {{ get; }}'",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LayerTypeMismatch = Create(
        "CR0006", "Layer property has the wrong type",
        "Layer '{0}' must have type '{1}' to match its attribute and the network's precision, not '{2}'",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ZeroInitialization = Create(
        "CR0007", "All-zero weights never break symmetry",
        "Layer '{0}' initializes its weights to zero: every unit would compute the same output and receive the same gradient, so they never become different; use a random scheme such as Init.HeNormal or leave Init at its default",
        Stability, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedNetworkType = Create(
        "CR0008", "Network type is not supported",
        "'{0}' cannot be a network: {1}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ActivationBeforeLogitLoss = Create(
        "CR0009", "Activation applied to logits",
        "Layer '{0}' applies {1} to the values that {2} treats as raw logits; the loss already applies softmax or sigmoid itself, so declare the last layer without an activation",
        Stability, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor WidthMismatch = Create(
        "CR0010", "Width does not match the previous layer",
        "{0} declares width {1}, but its input, {2}, has width {3}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LayerOutsideNetwork = Create(
        "CR0011", "Layer outside a network",
        "'{0}' is declared as a layer, but '{1}' is not marked [Network], so no code is generated for it",
        Declaration, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor NetworkTooLarge = Create(
        "CR0015", "Network too large",
        "{0} makes the network too large: {1}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NameCollidesWithGeneratedMember = Create(
        "CR0016", "Name collides with a generated member",
        "{0} collides with the generated {1}; {2}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedLayerDeclaration = Create(
        "CR0017", "Layer declaration is not supported",
        "{0} cannot be a layer: {1}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ValueOutOfElementRange = Create(
        "CR0018", "Value outside the element type's range",
        "{0} is {1}, outside what {2} represents: its positive normal values run from {3} to {4}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InitMismatchedToActivation = Create(
        "CR0020", "Initialization does not match the activation",
        "Layer '{0}' initializes its {1} weights with {2}: a variance {3}× the {4} that keeps a signal's variance through {1}, {5}; use {6} or leave Init at its default",
        Stability, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor PredictedGradientFlowProblem = Create(
        "CR0021", "Gradient predicted to vanish or explode",
        "The gradient is predicted to {0} at initialization: ‖∂L/∂W‖ ≈ {1} at '{2}' relative to '{3}', a max/min ratio of ≈ {4} over the layers, beyond the 100× the training report flags",
        Stability, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor DeepPostNormStack = Create(
        "CR0022", "Deep post-norm residual stack without ReZero",
        "Residual stack '{0}' normalizes after the residual add in {1} blocks without ReZero; post-norm stacks deeper than {2} blocks train unstably or diverge early on; use Placement = NormPlacement.Pre or ReZero = true, and a learning-rate warmup",
        Stability, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor BiasBeforeBatchNorm = Create(
        "CR0023", "Dense bias cancelled by the BatchNorm after it",
        "Layer '{0}' adds a bias that BatchNorm '{1}' subtracts again with the batch mean: its gradient is 0, so its {2} parameters never change and only cost work; declare the layer with Bias = false",
        Stability, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor RecurrentLayerWithoutSequence = Create(
        "CR0024", "Recurrent layer has no sequence to read",
        "Recurrent layer '{0}' reads a sequence, but {1}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SequenceValueOutOfRange = Create(
        "CR0025", "Sequence length or truncation out of range",
        "{0} is {1}, but {2}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NotSupportedOnSequence = Create(
        "CR0026", "Not supported on a sequence",
        "{0} cannot read a sequence: {1}",
        Declaration, DiagnosticSeverity.Error);

    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(
        NetworkMustBePartial, NetworkHasNoLayers, SizeMustBePositive, UnknownOption, LayerMustBePartialProperty,
        LayerTypeMismatch, ZeroInitialization, UnsupportedNetworkType, ActivationBeforeLogitLoss, WidthMismatch, LayerOutsideNetwork,
        NetworkTooLarge, NameCollidesWithGeneratedMember, UnsupportedLayerDeclaration, ValueOutOfElementRange,
        InitMismatchedToActivation, PredictedGradientFlowProblem, DeepPostNormStack, BiasBeforeBatchNorm,
        RecurrentLayerWithoutSequence, SequenceValueOutOfRange, NotSupportedOnSequence);

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor Find(string id) => ById[id];

    private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true,
            helpLinkUri: $"docs/diagnostics/{id}.md");
}
