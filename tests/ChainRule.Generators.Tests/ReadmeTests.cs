using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>
/// The READMEs' code cannot drift: an excerpt marked <c>&lt;!-- snapshot: path --&gt;</c> must quote that committed
/// snapshot (each run of lines between <c>...</c> lines found in it, in order), and a block marked
/// <c>&lt;!-- compiles --&gt;</c> must compile as a whole program with the generator, without a diagnostic.
/// </summary>
public partial class ReadmeTests
{
    [GeneratedRegex(@"<!-- (?<kind>snapshot|compiles)(: (?<path>\S+))? -->\r?\n```csharp\r?\n(?<code>.*?)\r?\n```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    private static List<(string Kind, string Path, string Code)> Blocks(string readme) =>
        MarkedBlock().Matches(File.ReadAllText(Path.Combine(RepositoryRoot.Path, readme)).Replace("\r\n", "\n"))
            .Select(m => (m.Groups["kind"].Value, m.Groups["path"].Value, m.Groups["code"].Value))
            .ToList();

    [Fact]
    public void The_generated_code_excerpt_quotes_the_committed_snapshot()
    {
        var excerpts = Blocks("README.md").Where(b => b.Kind == "snapshot").ToList();
        Assert.NotEmpty(excerpts);
        foreach (var (_, path, code) in excerpts)
        {
            string snapshot = File.ReadAllText(Path.Combine(RepositoryRoot.Path, path)).Replace("\r\n", "\n");
            int from = 0;
            foreach (string part in Parts(code))
            {
                int at = snapshot.IndexOf(part, from, StringComparison.Ordinal);
                Assert.True(at >= 0,
                    $"README.md quotes {path}, but this part of its excerpt is not in the snapshot (after the parts before it); " +
                    $"copy the current lines from the snapshot into README.md:\n{part}");
                from = at + part.Length;
            }
        }
    }

    /// <summary>The excerpt's runs of lines between <c>...</c> lines, each quoted whole.</summary>
    private static IEnumerable<string> Parts(string code)
    {
        var part = new List<string>();
        foreach (string line in code.Split('\n').Append("..."))
        {
            if (line.Trim() != "...")
            {
                part.Add(line);
                continue;
            }
            if (part.Count > 0)
                yield return string.Join("\n", part);
            part.Clear();
        }
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("src/ChainRule/Package/README.md")]
    public void The_first_program_compiles_as_written(string readme)
    {
        var programs = Blocks(readme).Where(b => b.Kind == "compiles").ToList();
        Assert.NotEmpty(programs);
        foreach (var (_, _, code) in programs)
        {
            CSharpCompilation input = GeneratorHarness.Compile(code);
            input = input.WithOptions(input.Options.WithOutputKind(OutputKind.ConsoleApplication));
            GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out var generatorDiagnostics);

            Assert.Empty(generatorDiagnostics);
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }
    }
}
