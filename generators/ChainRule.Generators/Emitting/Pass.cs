using System.Collections.Generic;
using ChainRule.Generators.Lowering;

namespace ChainRule.Generators.Emitting;

/// <summary>The locals one pass has declared, so each workspace slice is declared once, where first used.</summary>
internal sealed class Pass(SourceWriter writer, NetworkPlan plan)
{
    private readonly HashSet<string> _declared = new();

    public SourceWriter Writer { get; } = writer;

    public NetworkPlan Plan { get; } = plan;

    public string One => Plan.ElementType == "double" ? "1.0" : "1f";

    /// <summary>
    /// Backward only: the step below whose activation's backward the step just written already carried out (a dense
    /// layer's input gradient taken through the ReLU below it, in one kernel), so that step skips its own; else null.
    /// </summary>
    public PlanStep? ActivationCarried { get; set; }

    /// <summary>The activation (<paramref name="gradient"/> false) or its gradient, declared on first use; the network input is <c>inputs</c>.</summary>
    public string Use(ActivationBuffer? buffer, bool gradient = false)
    {
        if (buffer is null)
            return "inputs";
        string name = gradient ? LocalNames.Gradient(buffer.Name) : buffer.Name;
        if (_declared.Add(name))
        {
            string workspace = gradient ? "dacts" : "acts";
            string start = !buffer.PerSample
                ? $"{Plan.ActivationsPerSample} * B + {buffer.Offset}"
                : buffer.Offset == 0 ? "0" : $"{buffer.Offset} * B";
            string length = buffer.PerSample ? (buffer.Width == 1 ? "B" : $"{buffer.Width} * B") : $"{buffer.Width}";
            string shape = buffer.PerSample ? (buffer.Width == 1 ? "(B)" : $"(B, {buffer.Width})") : $"({buffer.Width})";
            Writer.WriteLine($"var {name} = {workspace}.Slice({start}, {length}); // {shape}");
        }
        return name;
    }

    /// <summary>A slice of the parameter (or gradient) buffer, declared on first use.</summary>
    public string Parameter(string name, int offset, int length, string shape, bool gradient = false)
    {
        string local = gradient ? LocalNames.Gradient(name) : name;
        if (_declared.Add(local))
            Writer.WriteLine($"var {local} = {(gradient ? "gradients" : "parameters")}.Slice({offset}, {length}); // {shape}");
        return local;
    }

    /// <summary>One parameter read as a value, declared on first use.</summary>
    public string Scalar(string name, int offset, string comment)
    {
        if (_declared.Add(name))
            Writer.WriteLine($"var {name} = parameters[{offset}]; // {comment}");
        return name;
    }

    /// <summary>BatchNorm's running mean or variance, declared on first use.</summary>
    public string Statistic(string name, int offset, int length)
    {
        if (_declared.Add(name))
            Writer.WriteLine($"var {name} = statistics.Slice({offset}, {length}); // ({length})");
        return name;
    }
}
