using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using ChainRule.Generators.Kinds;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using Microsoft.CodeAnalysis;

namespace ChainRule.Generators.Diagnostics;

/// <summary>
/// Warnings about a network that compiles but will train badly, found from its lowered plan and the
/// <see cref="GradientFlowEstimate"/>: CR0020–CR0023. Each is documented in docs/diagnostics with its mechanism and fix.
/// </summary>
internal static class StabilityLints
{
    /// <summary>The max/min ratio of layer gradient norms the training report flags by default (HealthThresholds.FlowRatio).</summary>
    public const double FlowRatioDecades = 2;

    /// <summary>
    /// Post-norm stacks with more blocks than this get CR0022. The original Transformer's 6 post-LN layers train
    /// with warmup; deeper ones need warmup and careful rates to train at all (Xiong et al. 2020) and diverge from
    /// about 12–18 layers without (Liu et al. 2020, Wang et al. 2022).
    /// </summary>
    public const int PostNormDepthLimit = 6;

    /// <summary>A declared init is mismatched when its variance is this far (either way) from the activation's own.</summary>
    private const double MismatchFactor = 1.5;

    /// <summary>The key of CR0020's property naming the <c>Init</c> member that matches the activation.</summary>
    public const string InitProperty = "Init";

    /// <summary>
    /// The lints <see cref="StabilityAnalyzer"/> reports rather than the generator: those with a code fix, since an
    /// IDE offers fixes only for an analyzer's diagnostics. Each lint is reported by exactly one of the two.
    /// </summary>
    public static readonly ImmutableArray<DiagnosticDescriptor> Fixable =
        ImmutableArray.Create(DiagnosticDescriptors.InitMismatchedToActivation, DiagnosticDescriptors.DeepPostNormStack, DiagnosticDescriptors.BiasBeforeBatchNorm);

    /// <summary>
    /// The lints of <paramref name="plan"/>, declared at <paramref name="layerSites"/>: the <see cref="Fixable"/> ones
    /// (which need only the plan's structure), or all the others (which need its <see cref="NetworkPlan.PredictedDecades"/>).
    /// </summary>
    public static IEnumerable<DiagnosticInfo> Check(NetworkPlan? plan, EquatableArray<LayerSite> layerSites, bool fixable)
    {
        if (plan is null)
            return [];
        // A name declared twice is the C# compiler's error to report; the first declaration is the one blamed.
        var sites = new Dictionary<string, LayerSite>(StringComparer.Ordinal);
        foreach (LayerSite site in layerSites)
        {
            if (!sites.ContainsKey(site.Name))
                sites[site.Name] = site;
        }
        var diagnostics = new List<DiagnosticInfo>();
        if (fixable)
        {
            CheckInits(plan, sites, diagnostics);
            CheckPostNorm(plan, sites, diagnostics);
            CheckBiasBeforeBatchNorm(plan, sites, diagnostics);
        }
        else
        {
            CheckFlow(plan, sites, diagnostics);
        }
        return diagnostics;
    }

    /// <summary>He for the ReLU family (they pass half the variance), LeCun's 1/fan_in for unit-slope ones.</summary>
    private static bool IsRectifier(ActivationKind activation) =>
        activation is ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.Gelu or ActivationKind.Silu;

    /// <summary>
    /// CR0020 on a declared <c>Init</c> whose weight variance is ≥ 1.5× off the activation's variance-keeping one: He
    /// on Sigmoid/Tanh (2×), or Xavier, LeCun or orthogonal on the ReLU family (about ½×). Xavier on Tanh is Glorot's
    /// compromise between the forward and backward pass, not a mismatch, so saturating activations are only checked
    /// against He.
    /// </summary>
    private static void CheckInits(NetworkPlan plan, Dictionary<string, LayerSite> sites, List<DiagnosticInfo> diagnostics)
    {
        var dense = plan.Steps.OfType<DenseStep>().ToList();
        for (int i = 0; i < dense.Count; i++)
        {
            DenseStep layer = dense[i];
            if (!sites.TryGetValue(layer.Name, out LayerSite? site) || site.Init is null || layer.Activation == ActivationKind.Identity)
                continue;
            double factor = Factor(layer);
            bool rectifier = IsRectifier(layer.Activation);
            bool mismatched = rectifier ? factor <= 1 / MismatchFactor : layer.Init is InitKind.HeNormal or InitKind.HeUniform && factor >= MismatchFactor;
            if (!mismatched)
                continue;
            // The run of adjacent layers declared the same way, which the factor compounds over.
            int first = i, last = i;
            while (first > 0 && SameDeclaration(dense[first - 1], layer) && dense[first - 1].Index == dense[first].Index - 1) first--;
            while (last < dense.Count - 1 && SameDeclaration(dense[last + 1], layer) && dense[last + 1].Index == dense[last].Index + 1) last++;
            double compounded = 0;
            for (int j = first; j <= last; j++)
                compounded += Math.Log10(Factor(dense[j]));
            int count = last - first + 1;
            string over = count == 1
                ? "for this layer alone"
                : $"which compounds to ≈ {Power(compounded)} over the {count} consecutive layers declared this way ('{dense[first].Name}' to '{dense[last].Name}')";
            // The activation's default (Initializers.DefaultFor), which the code fix writes in.
            string matching = (rectifier ? InitKind.HeNormal : InitKind.XavierNormal).ToString();
            diagnostics.Add(Info(DiagnosticDescriptors.InitMismatchedToActivation, site.Init,
                layer.Name, layer.Activation.ToString(), layer.Init.ToString(), Number(factor),
                rectifier ? "2/fan_in (He)" : "1/fan_in (LeCun)", over, "Init." + matching)
                with { Properties = new[] { new DiagnosticProperty(InitProperty, matching) }.ToEquatableArray() });
        }

        static double Factor(DenseStep layer) =>
            GradientFlowEstimate.WeightVariance(layer.Init, layer.Inputs, layer.Outputs) / ((IsRectifier(layer.Activation) ? 2.0 : 1.0) / layer.Inputs);

        static bool SameDeclaration(DenseStep a, DenseStep b) => a.Activation == b.Activation && a.Init == b.Init;
    }

    /// <summary>
    /// CR0021 when the predicted max/min of the layers' gradient norms exceeds 100×, on the layer furthest from the
    /// last. Layers whose gradient is exactly 0 by design (a ReZero branch before its α moves) are left out.
    /// </summary>
    private static void CheckFlow(NetworkPlan plan, Dictionary<string, LayerSite> sites, List<DiagnosticInfo> diagnostics)
    {
        EquatableArray<double> decades = plan.PredictedDecades;
        int low = -1, high = -1;
        for (int i = 0; i < decades.Count; i++)
        {
            // −∞: a ReZero branch, exactly 0 by design; NaN or +∞: a reference or a product beyond double's range,
            // in networks far too large or too unstable for an estimate to add anything.
            if (double.IsInfinity(decades[i]) || double.IsNaN(decades[i]))
                continue;
            if (low < 0 || decades[i] < decades[low]) low = i;
            if (high < 0 || decades[i] > decades[high]) high = i;
        }
        if (low < 0 || decades[high] - decades[low] <= FlowRatioDecades)
            return;
        bool vanishing = -decades[low] >= decades[high];
        int layer = vanishing ? low : high;
        string declared = DeclaredLayer(plan, layer);
        if (!sites.TryGetValue(declared, out LayerSite? site))
            return;
        diagnostics.Add(Info(DiagnosticDescriptors.PredictedGradientFlowProblem, site.Attribute,
            vanishing ? "vanish" : "explode", Power(decades[layer]), plan.LayerNames[layer], plan.LayerNames[decades.Count - 1],
            Power(decades[high] - decades[low])));
    }

    private static void CheckPostNorm(NetworkPlan plan, Dictionary<string, LayerSite> sites, List<DiagnosticInfo> diagnostics)
    {
        foreach (ResidualStep residual in plan.Steps.OfType<ResidualStep>())
        {
            if (residual.Placement != NormPlacementKind.Post || residual.ReZero || residual.Blocks.Count <= PostNormDepthLimit
                || !sites.TryGetValue(residual.Name, out LayerSite? site))
                continue;
            diagnostics.Add(Info(DiagnosticDescriptors.DeepPostNormStack, site.Placement ?? site.Attribute,
                residual.Name, Number(residual.Blocks.Count), Number(PostNormDepthLimit)));
        }
    }

    /// <summary>CR0023: BatchNorm subtracts each feature's batch mean, so a constant added just before it is cancelled.</summary>
    private static void CheckBiasBeforeBatchNorm(NetworkPlan plan, Dictionary<string, LayerSite> sites, List<DiagnosticInfo> diagnostics)
    {
        for (int i = 0; i + 1 < plan.Steps.Count; i++)
        {
            if (plan.Steps[i] is DenseStep { HasActivation: false, HasBias: true } dense && plan.Steps[i + 1] is NormStep { Norm.Kind: NormKind.BatchNorm } norm
                && sites.TryGetValue(dense.Name, out LayerSite? site))
                diagnostics.Add(Info(DiagnosticDescriptors.BiasBeforeBatchNorm, site.Attribute, dense.Name, norm.Name, Number(dense.Outputs)));
        }
    }

    /// <summary>The declared layer a <see cref="NetworkPlan.LayerNames"/> entry belongs to (a residual block's to its stack).</summary>
    internal static string DeclaredLayer(NetworkPlan plan, int nameIndex)
    {
        foreach (PlanStep step in plan.Steps)
        {
            if (step.LayerKind.Tensors(step).Any(tensor => tensor.NameIndex == nameIndex))
                return step.Name;
        }
        return "";
    }

    /// <summary><c>10⁻¹²</c>: a power of ten rounded to a whole exponent, as a person reads an order of magnitude.</summary>
    internal static string Power(double decades)
    {
        if (double.IsNaN(decades) || double.IsInfinity(decades) || Math.Abs(decades) > 1e6)
            return decades > 0 ? "∞" : "0";
        // + 0.0 turns a rounded −0 into 0.
        string exponent = (Math.Round(decades) + 0.0).ToString("0", CultureInfo.InvariantCulture);
        var text = new System.Text.StringBuilder("10");
        foreach (char c in exponent)
            text.Append(c == '-' ? '⁻' : "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']);
        return text.ToString();
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static DiagnosticInfo Info(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());
}
