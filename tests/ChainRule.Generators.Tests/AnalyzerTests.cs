using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using ChainRule.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>The analyzer's diagnostics, with exact spans, on code as a user writes it.</summary>
public class AnalyzerTests
{
    private static async Task<ImmutableArray<Diagnostic>> Analyze(string source) =>
        await GeneratorHarness.Compile(source)
            .WithAnalyzers([new LayerOutsideNetworkAnalyzer()])
            .GetAnalyzerDiagnosticsAsync();

    [Fact]
    public async Task CR0011_LayerAttributeOnAClassThatIsNotANetwork()
    {
        const string marked = """
            using ChainRule;
            public partial class NotANetwork
            {
                [[|Dense(10)|]] public DenseLayer<float> Logits => default;
                public int Other { get; }
            }
            """;
        int start = marked.IndexOf("[|", System.StringComparison.Ordinal);
        int end = marked.IndexOf("|]", System.StringComparison.Ordinal) - 2;
        Diagnostic diagnostic = Assert.Single(await Analyze(marked.Replace("[|", "").Replace("|]", "")));
        Assert.Equal("CR0011", diagnostic.Id);
        Assert.Equal(TextSpan.FromBounds(start, end), diagnostic.Location.SourceSpan);
        Assert.Equal("'Logits' is declared as a layer, but 'NotANetwork' is not marked [Network], so no code is generated for it",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task LayersInsideANetworkAreFine()
    {
        var diagnostics = await Analyze("""
            using ChainRule;
            [Network(Inputs = 4)]
            public partial class Model
            {
                [Dense(10)] public partial DenseLayer<float> Logits { get; }
            }
            """);
        Assert.Empty(diagnostics.Where(d => d.Id == "CR0011"));
    }
}
