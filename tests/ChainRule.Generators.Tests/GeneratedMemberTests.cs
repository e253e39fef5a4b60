using System;
using System.Linq;
using ChainRule.Generators.Emitting;
using ChainRule.Generators.Model;
using Xunit;

namespace ChainRule.Generators.Tests;

/// <summary>CR0016's list of generated members against what the emitter wrote for the snapshot models.</summary>
public class GeneratedMemberTests
{
    [Fact]
    public void EveryMemberOfEverySnapshotIsReserved()
    {
        // The list is read from small sample networks; a member that only some networks get (and that the samples
        // miss) would let a colliding user name through. The snapshots cover every layer kind and both precisions.
        string snapshots = System.IO.Path.Combine(RepositoryRoot.Path, "tests/ChainRule.Generators.Tests/Snapshots");
        var files = System.IO.Directory.GetFiles(snapshots, "*.verified.cs");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            var root = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(System.IO.File.ReadAllText(file)).GetRoot();
            var model = root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>()
                .First(c => c.Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>().Any(n => n.Identifier.Text == "Trainer"));
            PrecisionKind precision = model.ToString().Contains("double[] _parameters", StringComparison.Ordinal) ? PrecisionKind.Double : PrecisionKind.Float;
            var reserved = GeneratedMembers.For(precision).Select(m => m.Name).ToHashSet();
            foreach (var member in model.Members)
            {
                string? name = member switch
                {
                    Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax p when p.Type.ToString().StartsWith("global::ChainRule.", StringComparison.Ordinal)
                        && !p.Type.ToString().StartsWith("global::ChainRule.Training", StringComparison.Ordinal) => null, // a layer: the user's name
                    Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax p => p.Identifier.Text,
                    Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax m => m.Identifier.Text,
                    Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax f => f.Declaration.Variables[0].Identifier.Text,
                    Microsoft.CodeAnalysis.CSharp.Syntax.BaseTypeDeclarationSyntax t => t.Identifier.Text,
                    _ => null,
                };
                Assert.True(name is null || reserved.Contains(name), $"{System.IO.Path.GetFileName(file)}: '{name}' is generated but not reserved");
            }
        }
    }
}
