using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ChainRule.Diagnostics;

/// <summary>
/// The gradient health of one training step, per parameterized layer: gradient and weight norms, dead units,
/// non-finite values, and flags against <see cref="HealthThresholds"/>.
/// </summary>
/// <remarks>
/// <para>
/// A trainer creates one report at construction and refills it every step, so filling it allocates nothing: it is
/// a view of the <em>last</em> step, overwritten by the next (copy what you want to keep, e.g. <see cref="ToString"/>).
/// The filling protocol, called by generated trainers in this order:
/// </para>
/// <code>
/// report.Begin(step, learningRate);                  // clears the previous step
/// report.RecordDeadUnits(layer, dead, total);        // forward, ReLU-family layers (may repeat per layer: counts add)
/// report.RecordNonFinite(layer, Pass.Forward);       // if a layer's output is NaN/∞ (first call wins)
/// report.Record(layer, ‖∇W‖, ‖∇b‖, ‖W‖);             // backward, in execution order
/// report.RecordNonFinite(layer, Pass.Update);        // if the update would have broken a layer's parameters
/// report.Complete(loss, totalNormBeforeClipping, updateApplied);  // computes the flags
/// </code>
/// <para>Not thread-safe, like the trainer that fills it.</para>
/// </remarks>
public sealed class GradientReport
{
    private readonly string[] _names;
    private readonly double[] _weightGradientNorms;
    private readonly double[] _biasGradientNorms;
    private readonly double[] _weightNorms;
    private readonly long[] _deadUnits;
    private readonly long[] _units;
    private readonly GradientFlag[] _flags;
    private readonly string _lossName;
    // Recurrent layers' ‖∂L/∂h_t‖, T per layer, from _stepOffsets[layer]; _steps[layer] is 0 for other layers.
    private readonly double[] _stepNorms;
    private readonly int[] _stepOffsets;
    private readonly int[] _steps;
    private readonly int[] _firstSteps;
    private readonly double[] _timeFlowRatios;
    private int _firstNonFiniteLayer = -1;
    private Pass _firstNonFinitePass;
    private bool _lossFirstNonFinite;

    /// <summary>Creates the report for a model's parameterized layers, allocating its storage once.</summary>
    /// <param name="layerNames">The layers' declared names, in forward order; <c>layer</c> arguments index this list.</param>
    /// <param name="thresholds">When to flag a layer; <c>new HealthThresholds()</c> when null.</param>
    /// <param name="loss">The loss's name (e.g. <c>SoftmaxCrossEntropy</c>), for <see cref="FirstNonFiniteLayer"/> when the loss was the first non-finite value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="layerNames"/> or one of its names is null.</exception>
    /// <exception cref="ArgumentException">The thresholds fail <see cref="HealthThresholds.Validate"/>.</exception>
    public GradientReport(IReadOnlyList<string> layerNames, HealthThresholds? thresholds = null, string loss = "loss")
        : this(layerNames, [], [], thresholds, loss)
    {
    }

    /// <summary>
    /// Creates the report for a model with recurrent layers, which also records each one's <c>‖∂L/∂h_t‖</c> for every
    /// step <c>t</c> (<see cref="HiddenGradientNorms"/>), allocating its storage once.
    /// </summary>
    /// <param name="layerNames">The layers' declared names, in forward order; <c>layer</c> arguments index this list.</param>
    /// <param name="steps">Per layer, its sequence length <c>T</c> if it is recurrent, else 0; empty for a model without recurrent layers.</param>
    /// <param name="firstSteps">
    /// Per layer, the first step that receives gradient (0, or <c>T − K</c> for a last-step layer truncated to <c>K</c>
    /// steps): <see cref="TimeFlowRatio"/> compares the last step with it.
    /// </param>
    /// <param name="thresholds">When to flag a layer; <c>new HealthThresholds()</c> when null.</param>
    /// <param name="loss">The loss's name, for <see cref="FirstNonFiniteLayer"/> when the loss was the first non-finite value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="layerNames"/> or one of its names is null.</exception>
    /// <exception cref="ArgumentException">The thresholds fail <see cref="HealthThresholds.Validate"/>, or <paramref name="steps"/> and <paramref name="firstSteps"/> do not match the layers.</exception>
    public GradientReport(IReadOnlyList<string> layerNames, ReadOnlySpan<int> steps, ReadOnlySpan<int> firstSteps, HealthThresholds? thresholds = null, string loss = "loss")
    {
        ArgumentNullException.ThrowIfNull(layerNames);
        ArgumentNullException.ThrowIfNull(loss);
        _lossName = $"loss ({loss})";
        Thresholds = thresholds ?? new HealthThresholds();
        Thresholds.Validate();
        int count = layerNames.Count;
        _names = new string[count];
        for (int i = 0; i < count; i++)
            _names[i] = layerNames[i] ?? throw new ArgumentNullException(nameof(layerNames), $"Layer name {i} is null.");
        _weightGradientNorms = new double[count];
        _biasGradientNorms = new double[count];
        _weightNorms = new double[count];
        _deadUnits = new long[count];
        _units = new long[count];
        _flags = new GradientFlag[count];
        if (!steps.IsEmpty && steps.Length != count)
            throw new ArgumentException($"Expected one sequence length per layer ({count}) or none; got {steps.Length}.", nameof(steps));
        if (firstSteps.Length != steps.Length)
            throw new ArgumentException($"Expected one first step per sequence length ({steps.Length}); got {firstSteps.Length}.", nameof(firstSteps));
        _steps = new int[count];
        _firstSteps = new int[count];
        _stepOffsets = new int[count];
        _timeFlowRatios = new double[count];
        int total = 0;
        for (int i = 0; i < steps.Length; i++)
        {
            if (steps[i] < 0 || (uint)firstSteps[i] >= (uint)Math.Max(steps[i], 1))
                throw new ArgumentException($"Layer {i}: {steps[i]} steps, first step with gradient {firstSteps[i]}; expected 0 ≤ first < steps.", nameof(firstSteps));
            _steps[i] = steps[i];
            _firstSteps[i] = firstSteps[i];
            _stepOffsets[i] = total;
            total = checked(total + steps[i]);
        }
        _stepNorms = new double[total];
        Begin(-1, double.NaN);
    }

    /// <summary>The thresholds the flags are computed from.</summary>
    public HealthThresholds Thresholds { get; }

    /// <summary>The training step this report describes (as passed to <see cref="Begin"/>); −1 before the first step.</summary>
    public long Step { get; private set; }

    /// <summary>The batch's mean loss.</summary>
    public double Loss { get; private set; }

    /// <summary>The learning rate the step used (from the schedule).</summary>
    public double LearningRate { get; private set; }

    /// <summary>The global gradient norm <c>√(Σ ‖g‖²)</c> over every parameter, before clipping.</summary>
    public double TotalNorm { get; private set; }

    /// <summary>Whether the optimizer applied the update (false when the step produced NaN or ∞).</summary>
    public bool UpdateApplied { get; private set; }

    /// <summary>Whether <see cref="Complete"/> has been called for the current step.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Number of parameterized layers.</summary>
    public int LayerCount => _names.Length;

    /// <summary>One layer's numbers and flags.</summary>
    /// <param name="layer">The layer's index, in forward order.</param>
    public LayerReport this[int layer]
    {
        get
        {
            CheckLayer(layer);
            return new LayerReport(_names[layer], _weightGradientNorms[layer], _biasGradientNorms[layer], _weightNorms[layer], DeadFractionOf(layer), _flags[layer]);
        }
    }

    /// <summary>
    /// Max/min of the layers' finite weight-gradient norms: how unevenly gradient flows through depth. ∞ when the
    /// smallest is 0; NaN when no layer has a finite norm.
    /// </summary>
    public double MaxMinRatio { get; private set; }

    /// <summary>Whether <see cref="MaxMinRatio"/> exceeds <see cref="HealthThresholds.FlowRatio"/>.</summary>
    public bool HasFlowProblem => MaxMinRatio > Thresholds.FlowRatio;

    /// <summary>
    /// The first layer that produced NaN or ∞ in this step (in execution order: forward, backward, then the update
    /// that would have broken its parameters); when no layer's output was non-finite but the loss was, the loss,
    /// named <c>loss (Kind)</c> (e.g. <c>loss (MeanSquaredError)</c>, with <see cref="FirstNonFinitePass"/>
    /// <see cref="Pass.Loss"/>); otherwise null.
    /// </summary>
    public string? FirstNonFiniteLayer => _firstNonFiniteLayer >= 0 ? _names[_firstNonFiniteLayer] : _lossFirstNonFinite ? _lossName : null;

    /// <summary>The pass in which <see cref="FirstNonFiniteLayer"/> produced it, or null.</summary>
    public Pass? FirstNonFinitePass => _firstNonFiniteLayer >= 0 ? _firstNonFinitePass : _lossFirstNonFinite ? Pass.Loss : null;

    /// <summary>Whether the step produced NaN or ∞ anywhere: in a layer, the loss, the total norm or the update it refused.</summary>
    public bool HasNonFinite => _firstNonFiniteLayer >= 0 || !double.IsFinite(Loss) || !double.IsFinite(TotalNorm);

    /// <summary>Whether a layer has been recorded as non-finite this step (the loss and total norm aside).</summary>
    internal bool HasNonFiniteLayer => _firstNonFiniteLayer >= 0;

    /// <summary>The union of every layer's flags.</summary>
    public GradientFlag Flags { get; private set; }

    /// <summary>Whether the completed step has no flag, no flow problem and nothing non-finite.</summary>
    public bool IsHealthy => IsComplete && Flags == GradientFlag.None && !HasFlowProblem && !HasNonFinite;

    /// <summary>Starts a step: clears every layer's numbers (to NaN) and flags.</summary>
    /// <param name="step">The step's number, for the report and messages.</param>
    /// <param name="learningRate">The learning rate the step's update uses.</param>
    public void Begin(long step, double learningRate)
    {
        Step = step;
        LearningRate = learningRate;
        Loss = double.NaN;
        TotalNorm = double.NaN;
        UpdateApplied = false;
        IsComplete = false;
        MaxMinRatio = double.NaN;
        Flags = GradientFlag.None;
        _firstNonFiniteLayer = -1;
        _lossFirstNonFinite = false;
        Array.Fill(_weightGradientNorms, double.NaN);
        Array.Fill(_biasGradientNorms, double.NaN);
        Array.Fill(_weightNorms, double.NaN);
        Array.Clear(_deadUnits);
        Array.Clear(_units);
        Array.Clear(_flags);
        Array.Fill(_stepNorms, double.NaN);
        Array.Fill(_timeFlowRatios, double.NaN);
    }

    /// <summary>
    /// Records a layer's norms from the backward pass. A non-finite gradient norm also records the layer as
    /// non-finite in <see cref="Pass.Backward"/> (see <see cref="RecordNonFinite"/>), so call it in execution order.
    /// </summary>
    /// <param name="layer">The layer's index.</param>
    /// <param name="weightGradientNorm"><c>‖∇W‖</c>, e.g. the square root of what <c>Dense.BackwardParameters</c> returns.</param>
    /// <param name="biasGradientNorm"><c>‖∇b‖</c>; NaN for a layer without bias.</param>
    /// <param name="weightNorm"><c>‖W‖</c>, e.g. from <c>Norms.L2</c> (NaN when not measured); ∞ records the layer as non-finite in <see cref="Pass.Forward"/>.</param>
    public void Record(int layer, double weightGradientNorm, double biasGradientNorm, double weightNorm)
    {
        CheckLayer(layer);
        _weightGradientNorms[layer] = weightGradientNorm;
        _biasGradientNorms[layer] = biasGradientNorm;
        _weightNorms[layer] = weightNorm;
        // An infinite ‖W‖ is a parameter that is ∞ although the outputs stayed finite (−∞ into a ReLU): the step must
        // not count as healthy nor be applied. (NaN means "not measured"; a NaN weight makes the output NaN.)
        if (double.IsInfinity(weightNorm))
            RecordNonFinite(layer, Pass.Forward);
        // A NaN bias norm alone may mean "no bias"; a NaN bias gradient always comes with a NaN weight gradient,
        // since both are sums over the same dy.
        if (!double.IsFinite(weightGradientNorm) || double.IsInfinity(biasGradientNorm))
            RecordNonFinite(layer, Pass.Backward);
    }

    /// <summary>
    /// The storage a recurrent layer's backward kernel writes <c>‖∂L/∂h_t‖</c> into, one value per step (e.g. the
    /// <c>hiddenGradientNorms</c> of <c>Kernels.Lstm.Backward</c>); NaN until written. Empty for other layers.
    /// </summary>
    /// <param name="layer">The layer's index.</param>
    public Span<double> HiddenGradientNormsToFill(int layer)
    {
        CheckLayer(layer);
        return _stepNorms.AsSpan(_stepOffsets[layer], _steps[layer]);
    }

    /// <summary>
    /// A recurrent layer's <c>‖∂L/∂h_t‖</c> for every step <c>t</c> of the last step, L2 over the batch and hidden units:
    /// the gradient reaching step <c>t</c>'s state from its output and from step <c>t + 1</c>, the constant-error-flow
    /// picture. 0 at steps a truncation leaves without gradient; empty for a layer that is not recurrent; NaN when not
    /// recorded (a step split by rows records none).
    /// </summary>
    /// <param name="layer">The layer's index.</param>
    public ReadOnlySpan<double> HiddenGradientNorms(int layer) => HiddenGradientNormsToFill(layer);

    /// <summary>
    /// A recurrent layer's <c>‖∂L/∂h_{T−1}‖ / ‖∂L/∂h_first‖</c>, the last step's over the first step with gradient: far
    /// above 1 the gradient vanishes on its way back through time, far below 1 it explodes. Flagged
    /// <see cref="GradientFlag.TimeFlow"/> beyond <see cref="HealthThresholds.FlowRatio"/>× either way; NaN for a layer
    /// that is not recurrent or whose norms were not recorded.
    /// </summary>
    /// <param name="layer">The layer's index.</param>
    public double TimeFlowRatio(int layer)
    {
        CheckLayer(layer);
        return _timeFlowRatios[layer];
    }

    /// <summary>Adds a ReLU-family layer's dead outputs (e.g. the count <c>Relu.Forward</c> returns) to the step's tally.</summary>
    /// <param name="layer">The layer's index.</param>
    /// <param name="dead">Outputs that are dead (exactly 0 for ReLU).</param>
    /// <param name="total">Outputs counted, batch × units.</param>
    public void RecordDeadUnits(int layer, int dead, int total)
    {
        CheckLayer(layer);
        if (total < 0)
            throw new ArgumentOutOfRangeException(nameof(total), total, "The unit count must be ≥ 0.");
        if ((uint)dead > (uint)total)
            throw new ArgumentOutOfRangeException(nameof(dead), dead, "The dead count must lie in [0, total].");
        _deadUnits[layer] += dead;
        _units[layer] += total;
    }

    /// <summary>Adds the dead units another report of the same layers counted (one part of a step split by rows) to this step's tally.</summary>
    internal void AddDeadUnits(GradientReport part)
    {
        for (int i = 0; i < _deadUnits.Length; i++)
        {
            _deadUnits[i] += part._deadUnits[i];
            _units[i] += part._units[i];
        }
    }

    /// <summary>A report of the same layers and sequence lengths, for one part of a step split by rows.</summary>
    internal GradientReport CreatePartReport() => new(_names, _steps, _firstSteps, Thresholds);

    /// <summary>
    /// Adds the per-step <c>‖∂L/∂h_t‖</c> another part of the step measured over its rows: each is an L2 norm over the
    /// batch, so the step's is <c>√(Σ_parts ‖·‖²)</c>.
    /// </summary>
    internal void AddHiddenGradientNorms(GradientReport part)
    {
        for (int i = 0; i < _stepNorms.Length; i++)
            _stepNorms[i] = double.Hypot(_stepNorms[i], part._stepNorms[i]);
    }

    /// <summary>Records that a layer produced NaN or ∞; the first call in a step names <see cref="FirstNonFiniteLayer"/>.</summary>
    /// <param name="layer">The layer's index.</param>
    /// <param name="pass">The pass in which it did.</param>
    public void RecordNonFinite(int layer, Pass pass)
    {
        CheckLayer(layer);
        _flags[layer] |= GradientFlag.NonFinite;
        if (_firstNonFiniteLayer < 0)
        {
            _firstNonFiniteLayer = layer;
            _firstNonFinitePass = pass;
        }
    }

    /// <summary>Ends the step: stores its totals and computes every layer's flags and the flow ratio.</summary>
    /// <param name="loss">The batch's mean loss.</param>
    /// <param name="totalNormBeforeClipping">The global norm <c>√(Σ ‖g‖²)</c> over every parameter, before clipping (pass it even without clipping).</param>
    /// <param name="updateApplied">Whether the optimizer applied the update.</param>
    public void Complete(double loss, double totalNormBeforeClipping, bool updateApplied)
    {
        Loss = loss;
        TotalNorm = totalNormBeforeClipping;
        UpdateApplied = updateApplied;
        _lossFirstNonFinite = _firstNonFiniteLayer < 0 && !double.IsFinite(loss);
        HealthThresholds t = Thresholds;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        GradientFlag all = GradientFlag.None;
        for (int i = 0; i < _names.Length; i++)
        {
            GradientFlag flags = _flags[i];
            double norm = _weightGradientNorms[i];
            if (double.IsFinite(norm))
            {
                if (norm < t.Vanishing) flags |= GradientFlag.Vanishing;
                if (norm > t.Exploding) flags |= GradientFlag.Exploding;
                min = Math.Min(min, norm);
                max = Math.Max(max, norm);
            }
            if (DeadFractionOf(i) > t.DeadFraction) flags |= GradientFlag.DeadUnits;
            if (_steps[i] > 0)
            {
                double first = _stepNorms[_stepOffsets[i] + _firstSteps[i]], last = _stepNorms[_stepOffsets[i] + _steps[i] - 1];
                double ratio = first == 0 && last == 0 ? double.NaN : last / first;
                _timeFlowRatios[i] = ratio;
                if (ratio > t.FlowRatio || ratio * t.FlowRatio < 1)
                    flags |= GradientFlag.TimeFlow;
            }
            _flags[i] = flags;
            all |= flags;
        }
        Flags = all;
        MaxMinRatio = max < min ? double.NaN : min == 0 ? double.PositiveInfinity : max / min;
        IsComplete = true;
    }

    /// <summary>
    /// The table a person reads: a header with the step, loss, learning rate and total norm; one row per layer with
    /// its gradient and weight norms, <c>‖∇W‖/‖W‖</c>, dead fraction and flags; then the flow-ratio line and, if
    /// any, the non-finite line. Invariant culture; norms in scientific notation.
    /// </summary>
    /// <returns>The table (allocated: call it to log, not inside the step).</returns>
    public override string ToString()
    {
        if (Step < 0)
            return "GradientReport: no step recorded yet.";
        CultureInfo c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"step {Step}: loss {Number(Loss, "G6")}, lr {Norm(LearningRate)}, total gradient norm {Norm(TotalNorm)} (before clipping)");
        if (!IsComplete) text.Append(" [incomplete]");
        text.AppendLine();

        string[] header = ["layer", "|grad W|", "|grad b|", "|W|", "|grad W|/|W|", "dead", "flags"];
        var rows = new string[LayerCount][];
        for (int i = 0; i < LayerCount; i++)
        {
            LayerReport layer = this[i];
            rows[i] = [layer.Name, Norm(layer.WeightGradientNorm), Norm(layer.BiasGradientNorm), Norm(layer.WeightNorm), Norm(layer.GradientToWeightRatio),
                double.IsNaN(layer.DeadFraction) ? "-" : layer.DeadFraction.ToString("0.0%", c), FlagText(layer.Flags)];
        }
        var widths = new int[header.Length];
        for (int col = 0; col < header.Length; col++)
        {
            widths[col] = header[col].Length;
            foreach (string[] row in rows)
                widths[col] = Math.Max(widths[col], row[col].Length);
        }
        AppendRow(text, header, widths);
        foreach (string[] row in rows)
            AppendRow(text, row, widths);

        for (int i = 0; i < LayerCount; i++)
        {
            if (_steps[i] == 0)
                continue;
            double ratio = _timeFlowRatios[i];
            text.Append(c, $"{_names[i]}: |dL/dh_t| over {_steps[i]} steps, last/first {Number(ratio, "0.0e+00")}");
            if ((_flags[i] & GradientFlag.TimeFlow) != 0)
                text.Append(c, $" — gradient {(ratio > 1 ? "vanishes" : "explodes")} through time (> {Thresholds.FlowRatio}×)");
            text.AppendLine();
        }
        text.Append(c, $"max/min gradient norm ratio: {Number(MaxMinRatio, "0.0e+00")}");
        if (HasFlowProblem)
            text.Append(c, $" — gradient flow problem (> {Thresholds.FlowRatio}×)");
        text.AppendLine();
        if (_firstNonFiniteLayer >= 0)
            text.Append(c, $"non-finite values first in layer {FirstNonFiniteLayer} ({PassText(_firstNonFinitePass)})");
        else if (_lossFirstNonFinite)
            text.Append(c, $"non-finite values first in the {FirstNonFiniteLayer}");
        else if (HasNonFinite && IsComplete)
            text.Append("non-finite total gradient norm");
        if (HasNonFinite && IsComplete)
            text.AppendLine(UpdateApplied ? "; update applied" : "; update not applied");
        else if (IsComplete && !UpdateApplied)
            text.AppendLine("update not applied");
        return text.ToString().TrimEnd('\n', '\r');
    }

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        // The name left-aligned, numbers right-aligned, flags left-aligned and last (no trailing padding).
        text.Append(cells[0].PadRight(widths[0]));
        for (int col = 1; col < cells.Length - 1; col++)
            text.Append("  ").Append(cells[col].PadLeft(widths[col]));
        text.Append("  ").Append(cells[^1]);
        text.AppendLine();
    }

    private static string PassText(Pass pass) => pass switch
    {
        Pass.Forward => "forward pass",
        Pass.Backward => "backward pass",
        Pass.Update => "update, which would have made its parameters or their optimizer state NaN or ∞",
        _ => pass.ToString(),
    };

    private static string FlagText(GradientFlag flags) => flags == GradientFlag.None ? "-" : flags.ToString();

    /// <summary>Scientific notation with 3 decimals; <c>NaN</c> (also: not recorded), <c>inf</c> for ∞.</summary>
    private static string Norm(double value) => Number(value, "0.000e+00");

    private static string Number(double value, string format)
        => double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf" : value.ToString(format, CultureInfo.InvariantCulture);

    private double DeadFractionOf(int layer) => _units[layer] == 0 ? double.NaN : (double)_deadUnits[layer] / _units[layer];

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)_names.Length)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer index must lie in [0, {_names.Length}).");
    }
}

/// <summary>One layer's line of a <see cref="GradientReport"/>: a copy of its numbers for the step.</summary>
public readonly struct LayerReport
{
    internal LayerReport(string name, double weightGradientNorm, double biasGradientNorm, double weightNorm, double deadFraction, GradientFlag flags)
    {
        Name = name;
        WeightGradientNorm = weightGradientNorm;
        BiasGradientNorm = biasGradientNorm;
        WeightNorm = weightNorm;
        DeadFraction = deadFraction;
        Flags = flags;
    }

    /// <summary>The layer's declared name.</summary>
    public string Name { get; }

    /// <summary><c>‖∇W‖</c>, the L2 norm of the weight gradient; NaN if not recorded this step.</summary>
    public double WeightGradientNorm { get; }

    /// <summary><c>‖∇b‖</c>, the L2 norm of the bias gradient; NaN if not recorded or no bias.</summary>
    public double BiasGradientNorm { get; }

    /// <summary><c>‖W‖</c>, the L2 norm of the weight; NaN if not measured.</summary>
    public double WeightNorm { get; }

    /// <summary><c>‖∇W‖/‖W‖</c>: the relative size of the update's raw gradient (NaN when either is unknown).</summary>
    public double GradientToWeightRatio => WeightGradientNorm / WeightNorm;

    /// <summary>Fraction of the layer's activation outputs that were dead over the batch; NaN for a layer that is not ReLU-family.</summary>
    public double DeadFraction { get; }

    /// <summary>The layer's flags.</summary>
    public GradientFlag Flags { get; }

    /// <summary>The layer's numbers in one line.</summary>
    /// <returns>For example <c>Hidden: |grad W| 1.2E-02, |grad b| 3.4E-03, |W| 8, dead 0.1, flags None</c>.</returns>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Name}: |grad W| {WeightGradientNorm:E3}, |grad b| {BiasGradientNorm:E3}, |W| {WeightNorm:E3}, dead {DeadFraction:0.0%}, flags {Flags}");
}
