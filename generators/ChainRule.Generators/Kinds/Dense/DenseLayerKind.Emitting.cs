using System.Collections.Generic;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Kinds;

internal sealed partial class DenseLayerKind
{
    protected override string Describe(DenseStep dense) =>
        $"Dense({dense.Inputs}→{dense.Outputs}{(dense.HasActivation ? ", " + dense.Activation : "")}{(dense.HasBias ? "" : ", no bias")}{(dense.Steps > 1 ? ", per step" : "")})";

    protected override bool OmitsOptionalTensor(DenseStep dense) => !dense.HasBias;

    protected override string View(DenseStep dense, string t) =>
        $"{dense.Modifiers} global::ChainRule.DenseLayer<{t}> {Identifier(dense.Name)} => new(LayerNames[{dense.NameIndex}], _parameters, _gradients, weightOffset: {dense.WeightOffset}, inputs: {dense.Inputs}, outputs: {dense.Outputs}{(dense.HasBias ? "" : ", bias: false")});";

    protected override void WriteInitialization(SourceWriter writer, DenseStep dense)
    {
        writer.WriteLine();
        WriteInitialization(writer, dense, $"layer {dense.Index}: {dense.Name}");
    }

    /// <summary>Draws <c>W</c> from its own random stream; the bias stays 0.</summary>
    public static void WriteInitialization(SourceWriter writer, DenseStep dense, string? banner)
    {
        if (banner is not null)
            writer.WriteLine($"// ---- {banner}, {InitName(dense.Init)} ----");
        string random = LocalNames.Of(dense.Variable, Role.Random);
        writer.WriteLine($"var {random} = new {Training}.DeterministicRandom(seed, stream: {dense.Stream});");
        writer.WriteLine($"{Training}.Initializers.Fill(parameters.Slice({dense.WeightOffset}, {dense.WeightCount}), {dense.Inputs}, {dense.Outputs}, global::ChainRule.Init.{dense.Init}, ref {random});");
    }

    private static string Banner(DenseStep dense, string label) =>
        $"// ---- {label}, Dense {dense.Inputs} → {dense.Outputs}{(dense.HasActivation ? ", " + dense.Activation : "")}{(dense.HasBias ? "" : ", no bias")}{(dense.Steps > 1 ? $", on each of {dense.Steps} steps" : "")} ----";

    protected override void WriteForward(Pass pass, DenseStep dense)
    {
        pass.Writer.WriteLine(Banner(dense, $"layer {dense.Index}: {dense.Name}"));
        WriteProductForward(pass, dense);
    }

    /// <summary>The product, its bias and its activation, without a banner.</summary>
    public static void WriteProductForward(Pass pass, DenseStep dense)
    {
        string weight = pass.Parameter(LocalNames.Of(dense.Variable, Role.Weight), dense.WeightOffset, dense.WeightCount, $"({dense.Outputs}, {dense.Inputs})");
        // An empty span is the kernels' "no bias" (Bias = false).
        string bias = dense.HasBias ? pass.Parameter(LocalNames.Of(dense.Variable, Role.Bias), dense.BiasOffset, dense.Outputs, $"({dense.Outputs})") : "bias: default";
        string input = pass.Use(dense.Input);
        string pre = pass.Use(dense.PreActivation);
        string output = pass.Use(dense.Output);
        // The report's ‖W‖ is summed as the product packs the weights, block by block in L2, not in a pass of its own.
        string weightNorm = $"WeightNormOf({dense.NameIndex}, weightNorms)";
        if (dense.Activation == ActivationKind.ReLU)
        {
            // The ReLU is applied in the product's epilogue, over the pre-activation in place (the plan keeps no
            // separate one for ReLU): no second pass, no second buffer.
            string dead = LocalNames.Of(dense.Variable, Role.Dead);
            pass.Writer.WriteLine($"int {dead} = {Kernels}.Dense.ForwardRelu({output}, {input}, {weight}, {bias}, {dense.Rows}, {dense.Inputs}, {dense.Outputs}, {weightNorm});");
            pass.Writer.WriteLine($"report?.RecordDeadUnits({dense.NameIndex}, {dead}, {dense.Outputs * dense.Steps} * B);");
        }
        else
        {
            pass.Writer.WriteLine($"{Kernels}.Dense.Forward({pre}, {input}, {weight}, {bias}, {dense.Rows}, {dense.Inputs}, {dense.Outputs}, {weightNorm});");
            if (dense.HasActivation)
                pass.Writer.WriteLine($"{Kernels}.{ActivationKernel(dense.Activation)}.Forward({output}, {pre});");
        }
    }

    protected override void WriteBackward(Pass pass, DenseStep dense, PlanStep? below)
    {
        pass.Writer.WriteLine(Banner(dense, $"layer {dense.Index}: {dense.Name}"));
        // The layer above may already have carried this layer's gradient through its ReLU.
        bool reluApplied = ReferenceEquals(pass.ActivationCarried, dense);
        DenseStep? reluBelow = below is null ? null : ReluBelow(dense, below);
        pass.ActivationCarried = reluBelow;
        WriteProductBackward(pass, dense, accumulateInputGradient: false, reluBelow: reluBelow, reluApplied: reluApplied);
    }

    /// <summary>
    /// Activation backward, then ∂W and ∂b, then the input gradient: written over the input's gradient, or added to
    /// it (<paramref name="accumulateInputGradient"/>) when the input also feeds a residual skip path. When the input
    /// is the output of <paramref name="reluBelow"/>, a ReLU dense layer, the input gradient is carried on through that
    /// ReLU in the product's epilogue, straight into its ∂pre; that layer is then written with
    /// <paramref name="reluApplied"/> and skips its activation backward.
    /// </summary>
    public static void WriteProductBackward(Pass pass, DenseStep dense, bool accumulateInputGradient, string? outputGradient = null, string? inputGradient = null,
        DenseStep? reluBelow = null, bool reluApplied = false)
    {
        bool activationBackward = dense.HasActivation && !reluApplied;
        string doutput = dense.HasActivation && reluApplied ? "" : outputGradient ?? pass.Use(dense.Output, gradient: true);
        string dpre = dense.HasActivation ? pass.Use(dense.PreActivation, gradient: true) : doutput;
        string pre = activationBackward ? pass.Use(dense.PreActivation) : "";
        string output = activationBackward ? pass.Use(dense.Output) : "";
        string input = pass.Use(dense.Input);
        string dweight = pass.Parameter(LocalNames.Of(dense.Variable, Role.Weight), dense.WeightOffset, dense.WeightCount, $"({dense.Outputs}, {dense.Inputs})", gradient: true);
        string dbias = dense.HasBias ? pass.Parameter(LocalNames.Of(dense.Variable, Role.Bias), dense.BiasOffset, dense.Outputs, $"({dense.Outputs})", gradient: true) : "dbias: default";
        bool needsInputGradient = dense.Input is not null;
        string weight = needsInputGradient ? pass.Parameter(LocalNames.Of(dense.Variable, Role.Weight), dense.WeightOffset, dense.WeightCount, $"({dense.Outputs}, {dense.Inputs})") : "";
        string dinput = !needsInputGradient ? ""
            : reluBelow is not null ? pass.Use(reluBelow.PreActivation, gradient: true)
            : inputGradient ?? pass.Use(dense.Input, gradient: true);

        if (activationBackward)
            pass.Writer.WriteLine($"{Kernels}.{ActivationKernel(dense.Activation)}.Backward({dpre}, {doutput}, {pre}, {output});");
        else if (dense.HasActivation)
            pass.Writer.WriteLine($"// {dpre} came through the ReLU with the input gradient of the layer above.");
        string dweightSquares = LocalNames.Of(dense.Variable, Role.WeightGradientSquares);
        string dbiasSquares = LocalNames.Of(dense.Variable, Role.BiasGradientSquares);
        // Each dense layer's gradients are written once per backward pass: overwritten, so the trainer need not clear them.
        // Typed, so that `out double _` stays a discard even when the model has a member named _.
        pass.Writer.WriteLine($"{Kernels}.Dense.BackwardParameters({dweight}, {dbias}, {dpre}, {input}, {dense.Rows}, {dense.Inputs}, {dense.Outputs}, accumulate: false, out double {dweightSquares}, out double {(dense.HasBias ? dbiasSquares : "_")});");
        pass.Writer.WriteLine(dense.HasBias ? $"squares += {dweightSquares} + {dbiasSquares};" : $"squares += {dweightSquares};");
        // The report's bias norm is NaN for a layer without bias, as for RMSNorm's missing β.
        string biasNorm = dense.HasBias ? $"global::System.Math.Sqrt({dbiasSquares})" : "double.NaN";
        pass.Writer.WriteLine($"report?.Record({dense.NameIndex}, global::System.Math.Sqrt({dweightSquares}), {biasNorm}, _weightNorms[{dense.NameIndex}]);");
        if (!needsInputGradient)
            pass.Writer.WriteLine("// The network input needs no gradient.");
        else if (reluBelow is not null)
            pass.Writer.WriteLine($"{Kernels}.Dense.BackwardInputRelu({dinput}, {dpre}, {weight}, {pass.Use(reluBelow.PreActivation)}, {dense.Rows}, {dense.Inputs}, {dense.Outputs});");
        else
            pass.Writer.WriteLine($"{Kernels}.Dense.{(accumulateInputGradient ? "BackwardInputAdd" : "BackwardInput")}({dinput}, {dpre}, {weight}, {dense.Rows}, {dense.Inputs}, {dense.Outputs});");
    }

    /// <summary>
    /// <paramref name="below"/> when it is a ReLU dense layer whose output is <paramref name="dense"/>'s input, so that
    /// <paramref name="dense"/>'s input gradient can go straight through the ReLU; else null. Callers pass only layers
    /// whose input feeds nothing else, so that input gradient is written, not added to.
    /// </summary>
    public static DenseStep? ReluBelow(DenseStep dense, PlanStep below) =>
        below is DenseStep { Activation: ActivationKind.ReLU } relu && relu.Output == dense.Input ? relu : null;

    protected override void WriteNonFiniteScan(SourceWriter writer, NetworkPlan plan, DenseStep dense) =>
        NetworkEmitter.WriteFiniteCheck(writer, plan, dense.NameIndex, dense.Output);

    protected override void WriteGradientNormRecords(SourceWriter writer, NetworkPlan plan, DenseStep dense, System.Func<int, string> root) =>
        WriteGradientNormRecord(writer, plan, dense, root);

    /// <summary>The split step's record of one dense product: ‖∂W‖, ‖∂b‖ and the ‖W‖ its forward pass measured.</summary>
    public static void WriteGradientNormRecord(SourceWriter writer, NetworkPlan plan, DenseStep dense, System.Func<int, string> root) =>
        writer.WriteLine($"report.Record({dense.NameIndex}, {root(dense.WeightOffset)}, {(dense.HasBias ? root(dense.BiasOffset) : "double.NaN")}, _weightNorms[{dense.NameIndex}]); // {plan.LayerNames[dense.NameIndex]}");

    protected override void AddSummaryRows(List<string[]> rows, NetworkPlan plan, DenseStep dense) =>
        rows.Add(new[] { dense.Name, Describe(dense), Count(dense.Outputs), Count(ParameterCount(dense)), Predicted(plan.PredictedDecades, dense.NameIndex), InitName(dense.Init) });

    public static int ParameterCount(DenseStep dense) => dense.WeightCount + (dense.HasBias ? dense.Outputs : 0);

    public static string InitName(InitKind init) => init switch
    {
        InitKind.HeNormal => "He normal N(0, 2/fan_in)",
        InitKind.HeUniform => "He uniform U(±√(6/fan_in))",
        InitKind.XavierNormal => "Xavier normal N(0, 2/(fan_in+fan_out))",
        InitKind.XavierUniform => "Xavier uniform U(±√(6/(fan_in+fan_out)))",
        InitKind.LeCunNormal => "LeCun normal N(0, 1/fan_in)",
        InitKind.LeCunUniform => "LeCun uniform U(±√(3/fan_in))",
        InitKind.Orthogonal => "orthogonal",
        _ => init.ToString(),
    };

    private static string ActivationKernel(ActivationKind activation) => activation switch
    {
        ActivationKind.Sigmoid => "Sigmoid",
        ActivationKind.Tanh => "Tanh",
        ActivationKind.ReLU => "Relu",
        ActivationKind.LeakyReLU => "LeakyRelu",
        ActivationKind.Gelu => "Gelu",
        ActivationKind.Silu => "Silu",
        _ => throw new System.ArgumentOutOfRangeException(nameof(activation), activation, "Identity has no kernel."),
    };
}
