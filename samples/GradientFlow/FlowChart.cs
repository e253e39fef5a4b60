using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.IO;
using System.Text;

namespace GradientFlow;

/// <summary>
/// Writes the per-layer weight-gradient norms as a hand-made SVG line chart: x = depth 1..N (input side to output
/// side), y = log₁₀ ‖∇W‖ with a labelled gridline per decade, one series per network. Every number is written with the
/// invariant culture.
/// </summary>
internal static class FlowChart
{
    private const int Width = 1000, Height = 700;
    private const double PlotLeft = 96, PlotRight = 968, PlotTop = 92, PlotBottom = 500;
    private const string Font = "font-family=\"'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif\"";

    private static readonly string[] Colors = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Write(string path, IReadOnlyList<FlowSeries> series, string subtitle)
    {
        ArgumentNullException.ThrowIfNull(series);
        int depth = 0;
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        bool anyZero = false;
        foreach (FlowSeries s in series)
        {
            depth = Math.Max(depth, s.Norms.Length);
            foreach (double norm in s.Norms.Concat(s.Predicted))
            {
                if (double.IsNaN(norm) || double.IsInfinity(norm))
                    continue;   // non-finite: a gap in the line, not a point
                if (norm <= 0)
                {
                    anyZero = true;   // log10(0) = -inf: clamped below, once the axis is known
                    continue;
                }
                double log = Math.Log10(norm);
                low = Math.Min(low, log);
                high = Math.Max(high, log);
            }
        }
        if (low > high)
            (low, high) = (-1, 1);   // nothing finite to draw: an empty frame
        int bottomDecade = (int)Math.Floor(low), topDecade = (int)Math.Ceiling(high);
        // Keep markers off the frame: a point within a tenth of a decade of it gets one more decade of room.
        if (high > topDecade - 0.1)
            topDecade++;
        if (low < bottomDecade + 0.1)
            bottomDecade--;
        if (topDecade - bottomDecade < 2)
            (bottomDecade, topDecade) = (bottomDecade - 1, topDecade + 1);
        // A zero norm has no logarithm: it is drawn, hollow, on a gridline of its own one decade below the smallest.
        if (anyZero)
            bottomDecade--;
        double Clamped(double norm) => norm <= 0 ? bottomDecade : Math.Log10(norm);

        double X(int layer) => depth <= 1 ? (PlotLeft + PlotRight) / 2 : PlotLeft + 18 + (layer - 1) * (PlotRight - PlotLeft - 36) / (depth - 1);
        double Y(double log) => PlotBottom - (log - bottomDecade) * (PlotBottom - PlotTop) / (topDecade - bottomDecade);

        var svg = new StringBuilder();
        svg.Append(Invariant, $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" {Font}>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="{Width / 2}" y="36" text-anchor="middle" font-size="22" font-weight="bold" fill="#222">Gradient flow through {depth} layers at initialization</text>
            <text x="{Width / 2}" y="62" text-anchor="middle" font-size="13" fill="#555">{Escape(subtitle)}</text>

            """);

        // Decade gridlines, labelled 10ⁿ; a stronger line at 10⁰ = 1.
        int labelEvery = (topDecade - bottomDecade + 15) / 16;   // at most ~16 labels, however wide the range
        for (int decade = bottomDecade; decade <= topDecade; decade++)
        {
            double y = Y(decade);
            svg.Append(Invariant, $"""<line x1="{PlotLeft}" y1="{y:0.##}" x2="{PlotRight}" y2="{y:0.##}" stroke="{(decade == 0 ? "#999" : "#e3e3e3")}" stroke-width="1"/>""").AppendLine();
            if ((decade - bottomDecade) % labelEvery == 0)
                svg.Append(Invariant, $"""<text x="{PlotLeft - 10}" y="{y + 5:0.##}" text-anchor="end" font-size="14" fill="#333">10<tspan dy="-7" font-size="10">{Exponent(decade)}</tspan></text>""").AppendLine();
        }
        for (int layer = 1; layer <= depth; layer++)
        {
            double x = X(layer);
            svg.Append(Invariant, $"""<line x1="{x:0.##}" y1="{PlotBottom}" x2="{x:0.##}" y2="{PlotBottom + 5}" stroke="#555"/>""").AppendLine();
            svg.Append(Invariant, $"""<text x="{x:0.##}" y="{PlotBottom + 22}" text-anchor="middle" font-size="13" fill="#333">{layer}</text>""").AppendLine();
        }
        svg.Append(Invariant, $"""
            <rect x="{PlotLeft}" y="{PlotTop}" width="{PlotRight - PlotLeft}" height="{PlotBottom - PlotTop}" fill="none" stroke="#555"/>
            <text x="{(PlotLeft + PlotRight) / 2}" y="{PlotBottom + 50}" text-anchor="middle" font-size="15" fill="#222">layer depth (1 = input side, {depth} = output side)</text>
            <text transform="translate(30 {(PlotTop + PlotBottom) / 2}) rotate(-90)" text-anchor="middle" font-size="15" fill="#222">weight-gradient norm ‖∇W‖ (log scale)</text>

            """);

        // Series: polyline segments between finite points, then markers on top (hollow where clamped).
        for (int i = 0; i < series.Count; i++)
        {
            FlowSeries s = series[i];
            string color = Colors[i % Colors.Length];
            svg.Append(Invariant, $"""<g fill="none" stroke="{color}" stroke-width="2.5" stroke-linejoin="round">""").AppendLine();
            var points = new StringBuilder();
            for (int layer = 1; layer <= s.Norms.Length; layer++)
            {
                double norm = s.Norms[layer - 1];
                if (double.IsNaN(norm) || double.IsInfinity(norm))
                {
                    FlushPolyline(svg, points);
                    continue;
                }
                points.Append(Invariant, $"{X(layer):0.##},{Y(Clamped(norm)):0.##} ");
            }
            FlushPolyline(svg, points);
            svg.AppendLine("</g>");
            // The compiler's prediction for the same layers: a thin dashed line in the series' colour, no markers.
            svg.Append(Invariant, $"""<g fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="6 4" opacity="0.8">""").AppendLine();
            for (int layer = 1; layer <= s.Predicted.Length; layer++)
            {
                double predicted = s.Predicted[layer - 1];
                if (!(predicted > 0) || double.IsInfinity(predicted))
                {
                    FlushPolyline(svg, points);
                    continue;
                }
                points.Append(Invariant, $"{X(layer):0.##},{Y(Math.Log10(predicted)):0.##} ");
            }
            FlushPolyline(svg, points);
            svg.AppendLine("</g>");
            for (int layer = 1; layer <= s.Norms.Length; layer++)
            {
                double norm = s.Norms[layer - 1];
                if (double.IsNaN(norm) || double.IsInfinity(norm))
                    continue;
                bool clamped = norm <= 0;
                string tooltip = $"{s.Name}, depth {layer}: ‖∇W‖ = {FlowSeries.Format(norm)}{(clamped ? " (clamped)" : "")}";
                svg.Append(Marker(i, X(layer), Y(Clamped(norm)), color, clamped, tooltip)).AppendLine();
            }
        }

        // Legend below the plot, where no data can hide it: marker, name and description, then the numbers.
        double legendTop = PlotBottom + 86;
        for (int i = 0; i < series.Count; i++)
        {
            FlowSeries s = series[i];
            string color = Colors[i % Colors.Length];
            double y = legendTop + i * 24;
            svg.Append(Invariant, $"""<line x1="{PlotLeft}" y1="{y:0.##}" x2="{PlotLeft + 34}" y2="{y:0.##}" stroke="{color}" stroke-width="2.5"/>""").AppendLine();
            svg.Append(Marker(i, PlotLeft + 17, y, color, clamped: false, tooltip: s.Name)).AppendLine();
            svg.Append(Invariant, $"""<text x="{PlotLeft + 46}" y="{y + 5:0.##}" font-size="14" fill="#222"><tspan font-weight="bold">{Escape(s.Name)}</tspan> — {Escape(s.Description)}</text>""").AppendLine();
            svg.Append(Invariant, $"""<text x="{PlotRight}" y="{y + 5:0.##}" text-anchor="end" font-size="14" fill="{color}" font-weight="bold">max/min {Short(s.MaxMinRatio)}: {Escape(s.Verdict)}</text>""").AppendLine();
        }
        string clampNote = anyZero
            ? $"Norms of exactly 0 have no logarithm: they are clamped to the bottom line (10{Superscript(bottomDecade)}) and drawn hollow. Non-finite norms leave a gap."
            : "No norm was 0 (it would be clamped to the bottom line and drawn hollow) and none was non-finite (it would leave a gap).";
        double noteTop = legendTop + series.Count * 24 + 4;
        svg.Append(Invariant, $"""<text x="{PlotLeft}" y="{noteTop:0.##}" font-size="12" fill="#666">Solid with markers: measured in the first step (max/min over the {depth} hidden layers; hover a marker for its value). Dashed: predicted by the compiler, anchored at the logits.</text>""").AppendLine();
        svg.Append(Invariant, $"""<text x="{PlotLeft}" y="{noteTop + 17:0.##}" font-size="12" fill="#666">{clampNote}</text>""").AppendLine();
        svg.AppendLine("</svg>");

        File.WriteAllText(path, svg.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private static void FlushPolyline(StringBuilder svg, StringBuilder points)
    {
        if (points.Length > 0)
            svg.Append("<polyline points=\"").Append(points.ToString().TrimEnd()).AppendLine("\"/>");
        points.Clear();
    }

    /// <summary>A distinct shape per series (circle, square, diamond, triangle), so the chart survives greyscale.</summary>
    private static string Marker(int series, double x, double y, string color, bool clamped, string tooltip)
    {
        string fill = clamped ? "#ffffff" : color;
        string paint = $"""fill="{fill}" stroke="{color}" stroke-width="1.5" """;
        string shape = (series % 4) switch
        {
            0 => string.Create(Invariant, $"""<circle cx="{x:0.##}" cy="{y:0.##}" r="4.5" {paint}/>"""),
            1 => string.Create(Invariant, $"""<rect x="{x - 4:0.##}" y="{y - 4:0.##}" width="8" height="8" {paint}/>"""),
            2 => string.Create(Invariant, $"""<path d="M{x:0.##} {y - 5.5:0.##} L{x + 5.5:0.##} {y:0.##} L{x:0.##} {y + 5.5:0.##} L{x - 5.5:0.##} {y:0.##} Z" {paint}/>"""),
            _ => string.Create(Invariant, $"""<path d="M{x:0.##} {y - 5.5:0.##} L{x + 5:0.##} {y + 4:0.##} L{x - 5:0.##} {y + 4:0.##} Z" {paint}/>"""),
        };
        return $"<g><title>{Escape(tooltip)}</title>{shape}</g>";
    }

    /// <summary>A decade's exponent with a real minus sign: −13.</summary>
    private static string Exponent(int decade) => decade < 0 ? "−" + (-decade).ToString(Invariant) : decade.ToString(Invariant);

    private static string Superscript(int decade)
    {
        var text = new StringBuilder();
        foreach (char c in Exponent(decade))
            text.Append(c == '−' ? '⁻' : "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']);
        return text.ToString();
    }

    /// <summary>A ratio for the legend: 1.9×, 63×, 1.2e+12×.</summary>
    private static string Short(double ratio)
        => double.IsNaN(ratio) ? "NaN" : double.IsPositiveInfinity(ratio) ? "∞" : ratio < 1000 ? ratio.ToString("0.#", Invariant) + "×" : ratio.ToString("0.0e+0", Invariant) + "×";

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
