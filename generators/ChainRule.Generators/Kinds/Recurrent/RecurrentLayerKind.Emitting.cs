using System.Collections.Generic;
using System.Globalization;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Kinds;

internal sealed partial class RecurrentLayerKind
{
    private static string CellName(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => "LSTM",
        RecurrentCell.Gru => "GRU",
        _ => "RNN",
    };

    private static string Kernel(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => "Lstm",
        RecurrentCell.Gru => "Gru",
        _ => "Rnn",
    };

    /// <summary><c>LSTM(3→16, 20 steps, every step)</c>, with the RNN's activation and any truncation.</summary>
    protected override string Describe(RecurrentStep step) =>
        $"{CellName(step.Cell)}({step.Inputs}→{step.Hidden}{(step.Cell == RecurrentCell.Rnn ? ", " + step.Activation : "")}, {Number(step.Steps)} steps, {(step.ReturnSequences ? "every step" : "last step")}{(step.Truncate > 0 ? ", truncated to " + Number(step.Truncate) : "")})";

    protected override string View(RecurrentStep step, string t) =>
        $"{step.Modifiers} global::ChainRule.{ViewType}<{t}> {Identifier(step.Name)} => new(LayerNames[{step.NameIndex}], _parameters, _gradients, offset: {step.WeightIHOffset}, inputs: {step.Inputs}, hidden: {step.Hidden}, gates: {step.Gates});";

    private static string InitText(RecurrentStep step) =>
        "U(±1/√H)"
        + (step.RecurrentInit == InitKind.Default ? "" : $", W_hh {DenseLayerKind.InitName(step.RecurrentInit)} per gate")
        + (step.ForgetBias == 0 ? "" : $", forget bias {step.ForgetBias.ToString("R", CultureInfo.InvariantCulture)}");

    protected override void WriteInitialization(SourceWriter writer, RecurrentStep step)
    {
        writer.WriteLine();
        writer.WriteLine($"// ---- layer {step.Index}: {step.Name}, {InitText(step)} ----");
        string random = LocalNames.Of(step.Variable, Role.Random);
        writer.WriteLine($"var {random} = new {Training}.DeterministicRandom(seed, stream: {step.Stream});");
        writer.WriteLine($"{Training}.Initializers.FillRecurrent(parameters.Slice({step.WeightIHOffset}, {step.Width * step.Inputs}), parameters.Slice({step.WeightHHOffset}, {step.Width * step.Hidden}),");
        writer.WriteLine($"    parameters.Slice({step.BiasIHOffset}, {step.Width}), parameters.Slice({step.BiasHHOffset}, {step.Width}), {step.Inputs}, {step.Hidden}, gates: {step.Gates},");
        writer.WriteLine($"    global::ChainRule.Init.{step.RecurrentInit}, forgetBias: {step.ForgetBias.ToString("R", CultureInfo.InvariantCulture)}, ref {random});");
    }

    private static string Banner(RecurrentStep step) =>
        $"// ---- layer {step.Index}: {step.Name}, {CellName(step.Cell)} {step.Inputs} → {step.Hidden}{(step.Cell == RecurrentCell.Rnn ? ", " + step.Activation : "")} over {step.Steps} steps, {(step.ReturnSequences ? "every step out" : "last step out")}{(step.Truncate > 0 ? $", BPTT truncated to {step.Truncate}" : "")} ----";

    /// <summary><c>W_ih, W_hh</c> and the two biases, or their gradients.</summary>
    private static (string WeightIH, string WeightHH, string BiasIH, string BiasHH) Parameters(Pass pass, RecurrentStep step, bool gradient) =>
        (pass.Parameter(LocalNames.Of(step.Variable, Role.WeightIH), step.WeightIHOffset, step.Width * step.Inputs, $"({step.Width}, {step.Inputs})", gradient),
         pass.Parameter(LocalNames.Of(step.Variable, Role.WeightHH), step.WeightHHOffset, step.Width * step.Hidden, $"({step.Width}, {step.Hidden})", gradient),
         pass.Parameter(LocalNames.Of(step.Variable, Role.BiasIH), step.BiasIHOffset, step.Width, $"({step.Width})", gradient),
         pass.Parameter(LocalNames.Of(step.Variable, Role.BiasHH), step.BiasHHOffset, step.Width, $"({step.Width})", gradient));

    /// <summary>The sizes every kernel call ends with: <c>B, T, F, H</c> (and the RNN's activation).</summary>
    private static string Sizes(RecurrentStep step) =>
        $"B, {step.Steps}, {step.Inputs}, {step.Hidden}{(step.Cell == RecurrentCell.Rnn ? ", global::ChainRule.Activation." + step.Activation : "")}";

    protected override void WriteForward(Pass pass, RecurrentStep step)
    {
        pass.Writer.WriteLine(Banner(step));
        var (weightIH, weightHH, biasIH, biasHH) = Parameters(pass, step, gradient: false);
        string input = pass.Use(step.Input);
        string output = pass.Use(step.Output);
        string cache = pass.Use(step.Cache);
        // The time loop runs inside the kernel: the input projection of all steps as one product, then per step the
        // recurrent product and one fused pass over the gates.
        pass.Writer.WriteLine($"{Kernels}.{Kernel(step.Cell)}.Forward({output}, {cache}, {input}, {weightIH}, {weightHH}, {biasIH}, {biasHH}, {Sizes(step)}, returnSequences: {(step.ReturnSequences ? "true" : "false")});");
    }

    protected override void WriteBackward(Pass pass, RecurrentStep step, PlanStep? below)
    {
        pass.Writer.WriteLine(Banner(step));
        pass.ActivationCarried = null;
        var (dweightIH, dweightHH, dbiasIH, dbiasHH) = Parameters(pass, step, gradient: true);
        string doutput = pass.Use(step.Output, gradient: true);
        string cache = pass.Use(step.Cache);
        string weightIH = pass.Parameter(LocalNames.Of(step.Variable, Role.WeightIH), step.WeightIHOffset, step.Width * step.Inputs, $"({step.Width}, {step.Inputs})");
        string weightHH = pass.Parameter(LocalNames.Of(step.Variable, Role.WeightHH), step.WeightHHOffset, step.Width * step.Hidden, $"({step.Width}, {step.Hidden})");
        string dinput = step.Input is null ? "default" : pass.Use(step.Input, gradient: true);
        if (step.Input is null)
            pass.Writer.WriteLine("// The network input needs no gradient (dx: default).");
        string norms = LocalNames.Of(step.Variable, Role.HiddenGradientNorms);
        pass.Writer.WriteLine($"var {norms} = report is null ? default : report.HiddenGradientNormsToFill({step.NameIndex}); // (T = {step.Steps}): ‖∂L/∂h_t‖ per step");
        // BPTT consumes the cache (the gates become their gradients) and adds into the four gradients, which the
        // trainer cleared.
        pass.Writer.WriteLine($"{Kernels}.{Kernel(step.Cell)}.Backward({dinput}, {dweightIH}, {dweightHH}, {dbiasIH}, {dbiasHH}, {norms}, {doutput}, {cache}, {weightIH}, {weightHH}, {Sizes(step)}, returnSequences: {(step.ReturnSequences ? "true" : "false")}, truncate: {step.Truncate});");
        string t = pass.Plan.ElementType;
        string dweightSquares = LocalNames.Of(step.Variable, Role.WeightGradientSquares);
        string dbiasSquares = LocalNames.Of(step.Variable, Role.BiasGradientSquares);
        // W_ih and W_hh are adjacent, and so are the biases: one sum each, as the report's ‖∂W‖ and ‖∂b‖.
        pass.Writer.WriteLine($"double {dweightSquares} = {Kernels}.Norms.SumOfSquares<{t}>(gradients.Slice({step.WeightIHOffset}, {step.WeightCount}));");
        pass.Writer.WriteLine($"double {dbiasSquares} = {Kernels}.Norms.SumOfSquares<{t}>(gradients.Slice({step.BiasIHOffset}, {2 * step.Width}));");
        pass.Writer.WriteLine($"squares += {dweightSquares} + {dbiasSquares};");
        pass.Writer.WriteLine($"report?.Record({step.NameIndex}, global::System.Math.Sqrt({dweightSquares}), global::System.Math.Sqrt({dbiasSquares}), {Kernels}.Norms.L2(parameters.Slice({step.WeightIHOffset}, {step.WeightCount})));");
    }

    protected override void WriteNonFiniteScan(SourceWriter writer, NetworkPlan plan, RecurrentStep step) =>
        NetworkEmitter.WriteFiniteCheck(writer, plan, step.NameIndex, step.Output);

    /// <summary>The split step's record: <c>‖∂W‖</c> over <c>W_ih</c> and <c>W_hh</c>, <c>‖∂b‖</c> over both biases, and <c>‖W‖</c>.</summary>
    protected override void WriteGradientNormRecords(SourceWriter writer, NetworkPlan plan, RecurrentStep step, System.Func<int, string> root) =>
        writer.WriteLine($"report.Record({step.NameIndex}, double.Hypot({root(step.WeightIHOffset)}, {root(step.WeightHHOffset)}), double.Hypot({root(step.BiasIHOffset)}, {root(step.BiasHHOffset)}), {Kernels}.Norms.L2(parameters.Slice({step.WeightIHOffset}, {step.WeightCount}))); // {plan.LayerNames[step.NameIndex]}");

    protected override void AddSummaryRows(List<string[]> rows, NetworkPlan plan, RecurrentStep step) =>
        rows.Add(new[] { step.Name, Describe(step), step.ReturnSequences ? $"{Count(step.Steps)} × {Count(step.Hidden)}" : Count(step.Hidden), Count(step.ParameterCount),
            Predicted(plan.PredictedDecades, step.NameIndex), InitText(step) });
}
