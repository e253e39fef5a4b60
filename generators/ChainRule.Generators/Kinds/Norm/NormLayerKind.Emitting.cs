using System.Collections.Generic;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Kinds;

internal sealed partial class NormLayerKind
{
    protected override string Describe(NormStep norm) => $"{norm.Norm.Kind}({norm.Norm.Features})";

    protected override string View(NormStep norm, string t) =>
        $"{norm.Modifiers} global::ChainRule.NormLayer<{t}> {Identifier(norm.Name)} => new(LayerNames[{norm.Norm.NameIndex}], global::ChainRule.Norm.{norm.Norm.Kind}, _parameters, _gradients, _statistics, gammaOffset: {norm.Norm.GammaOffset}, statisticsOffset: {norm.Norm.StatisticsOffset}, features: {norm.Norm.Features});";

    protected override void WriteInitialization(SourceWriter writer, NormStep norm)
    {
        writer.WriteLine();
        writer.WriteLine($"// ---- layer {norm.Index}: {norm.Name}, {norm.Norm.Kind} γ = 1{(norm.Norm.HasBeta ? ", β = 0" : "")} ----");
        WriteInitialization(writer, norm.Norm);
    }

    /// <summary>γ = 1 (β stays 0) and BatchNorm's running variance 1, as PyTorch starts them.</summary>
    public static void WriteInitialization(SourceWriter writer, NormPlan norm)
    {
        writer.WriteLine($"parameters.Slice({norm.GammaOffset}, {norm.Features}).Fill(1);");
        if (norm.Kind == NormKind.BatchNorm)
            writer.WriteLine($"statistics.Slice({norm.StatisticsOffset + norm.Features}, {norm.Features}).Fill(1); // running variance");
    }

    private static string Banner(NormStep norm) => $"// ---- layer {norm.Index}: {norm.Name}, {norm.Norm.Kind} over {norm.Norm.Features} ----";

    protected override void WriteForward(Pass pass, NormStep norm)
    {
        pass.Writer.WriteLine(Banner(norm));
        WriteNormForward(pass, norm.Norm, norm.Variable, norm.Output, norm.Input);
    }

    public static string Gamma(Pass pass, NormPlan norm, string variable) =>
        pass.Parameter(LocalNames.Of(variable, Role.Gamma), norm.GammaOffset, norm.Features, $"({norm.Features})");

    public static (string Gamma, string? Beta) Parameters(Pass pass, NormPlan norm, string variable, bool gradient)
    {
        string gamma = pass.Parameter(LocalNames.Of(variable, Role.Gamma), norm.GammaOffset, norm.Features, $"({norm.Features})", gradient);
        string? beta = norm.HasBeta ? pass.Parameter(LocalNames.Of(variable, Role.Beta), norm.GammaOffset + norm.Features, norm.Features, $"({norm.Features})", gradient) : null;
        return (gamma, beta);
    }

    public static (string Mean, string Variance) RunningStatistics(Pass pass, NormPlan norm, string variable) =>
        (pass.Statistic(LocalNames.Of(variable, Role.RunningMean), norm.StatisticsOffset, norm.Features),
         pass.Statistic(LocalNames.Of(variable, Role.RunningVariance), norm.StatisticsOffset + norm.Features, norm.Features));

    /// <summary>The cached statistics arguments in kernel order: <c>mean, rstd</c>, or <c>rstd</c> alone for RMSNorm.</summary>
    public static string Cache(Pass pass, NormPlan norm) =>
        norm.Mean is { } mean ? $"{pass.Use(mean)}, {pass.Use(norm.Rstd)}" : pass.Use(norm.Rstd);

    public static string Affine(string gamma, string? beta) => beta is null ? gamma : $"{gamma}, {beta}";

    public static void WriteNormForward(Pass pass, NormPlan norm, string variable, ActivationBuffer output, ActivationBuffer? input)
    {
        var (gamma, beta) = Parameters(pass, norm, variable, gradient: false);
        string x = pass.Use(input);
        string y = pass.Use(output);
        string sizes = $"B, {norm.Features}, {norm.Epsilon}";
        if (norm.Kind != NormKind.BatchNorm)
        {
            pass.Writer.WriteLine($"{Kernels}.{Kernel(norm.Kind)}.Forward({y}, {Cache(pass, norm)}, {x}, {Affine(gamma, beta)}, {sizes});");
            return;
        }
        var (runningMean, runningVariance) = RunningStatistics(pass, norm, variable);
        string cache = Cache(pass, norm);
        pass.Writer.WriteLine("if (training)");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.ForwardTraining({y}, {cache}, {runningMean}, {runningVariance}, {x}, {Affine(gamma, beta)}, {sizes}, {Momentum(pass)});");
        pass.Writer.WriteLine("else");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.ForwardInference({y}, {x}, {runningMean}, {runningVariance}, {Affine(gamma, beta)}, {sizes});");
    }

    protected override void WriteBackward(Pass pass, NormStep step, PlanStep? below)
    {
        pass.Writer.WriteLine(Banner(step));
        NormPlan norm = step.Norm;
        string gamma = Gamma(pass, norm, step.Variable);
        var (dgamma, dbeta) = Parameters(pass, norm, step.Variable, gradient: true);
        string dx = step.Input is null ? pass.Use(step.InputGradient, gradient: true) : pass.Use(step.Input, gradient: true);
        if (step.Input is null)
            pass.Writer.WriteLine("// The network input needs no gradient, but the kernel computes it on its way to ∂γ and ∂β.");
        pass.Writer.WriteLine($"{Kernels}.{Kernel(norm.Kind)}.Backward({dx}, {Affine(dgamma, dbeta)}, {pass.Use(step.Output, gradient: true)}, {pass.Use(step.Input)}, {Cache(pass, norm)}, {gamma}, B, {norm.Features});");
        WriteGradientNorms(pass, norm, step.Variable, gamma, dgamma, dbeta);
    }

    /// <summary>∂γ and ∂β are vectors of one row's width, so their norms cost a pass over a few hundred values.</summary>
    public static void WriteGradientNorms(Pass pass, NormPlan norm, string variable, string gamma, string dgamma, string? dbeta)
    {
        string t = pass.Plan.ElementType;
        string dgammaSquares = LocalNames.Of(variable, Role.GammaGradientSquares);
        string dbetaSquares = LocalNames.Of(variable, Role.BetaGradientSquares);
        pass.Writer.WriteLine($"double {dgammaSquares} = {Kernels}.Norms.SumOfSquares<{t}>({dgamma});");
        if (dbeta is not null)
            pass.Writer.WriteLine($"double {dbetaSquares} = {Kernels}.Norms.SumOfSquares<{t}>({dbeta});");
        string betaSquares = dbeta is null ? "" : $" + {dbetaSquares}";
        string betaNorm = dbeta is null ? "double.NaN" : $"global::System.Math.Sqrt({dbetaSquares})";
        pass.Writer.WriteLine($"squares += {dgammaSquares}{betaSquares};");
        pass.Writer.WriteLine($"report?.Record({norm.NameIndex}, global::System.Math.Sqrt({dgammaSquares}), {betaNorm}, {Kernels}.Norms.L2({gamma}));");
    }

    public static string Momentum(Pass pass) => pass.Plan.ElementType == "double" ? "0.1" : "0.1f";

    public static string Kernel(NormKind kind) => kind switch
    {
        NormKind.LayerNorm => "LayerNorm",
        NormKind.RMSNorm => "RmsNorm",
        _ => "BatchNorm",
    };

    protected override void WriteNonFiniteScan(SourceWriter writer, NetworkPlan plan, NormStep norm)
    {
        NetworkEmitter.WriteFiniteCheck(writer, plan, norm.Norm.NameIndex, norm.Output);
        WriteStatisticsCheck(writer, plan, norm.Norm);
    }

    /// <summary>BatchNorm's new running statistics, which a huge batch variance can overflow.</summary>
    public static void WriteStatisticsCheck(SourceWriter writer, NetworkPlan plan, NormPlan norm)
    {
        if (norm.StatisticsOffset >= 0)
            writer.WriteLine($"if (!global::System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(statistics.Slice({norm.StatisticsOffset}, {2 * norm.Features}))) return {norm.NameIndex}; // {plan.LayerNames[norm.NameIndex]} running statistics");
    }

    protected override void WriteGradientNormRecords(SourceWriter writer, NetworkPlan plan, NormStep norm, System.Func<int, string> root) =>
        WriteGradientNormRecord(writer, plan, norm.Norm, root);

    /// <summary>The split step's record of one norm: ‖∂γ‖, ‖∂β‖ and ‖γ‖.</summary>
    public static void WriteGradientNormRecord(SourceWriter writer, NetworkPlan plan, NormPlan norm, System.Func<int, string> root) =>
        writer.WriteLine($"report.Record({norm.NameIndex}, {root(norm.GammaOffset)}, {(norm.HasBeta ? root(norm.GammaOffset + norm.Features) : "double.NaN")}, {Kernels}.Norms.L2(parameters.Slice({norm.GammaOffset}, {norm.Features}))); // {plan.LayerNames[norm.NameIndex]}");

    protected override void AddSummaryRows(List<string[]> rows, NetworkPlan plan, NormStep norm) =>
        rows.Add(new[] { norm.Name, Describe(norm), Count(norm.Norm.Features), Count(ParameterCount(norm.Norm)), Predicted(plan.PredictedDecades, norm.Norm.NameIndex), InitText(norm.Norm) });

    public static int ParameterCount(NormPlan norm) => norm.HasBeta ? 2 * norm.Features : norm.Features;

    private static string InitText(NormPlan norm) => norm.HasBeta ? "γ = 1, β = 0" : "γ = 1";
}
