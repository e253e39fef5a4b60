using System;
using System.Text;
using System.Threading;

namespace ChainRule.Generators.Emitting;

/// <summary>
/// Writes C# text line by line at the current indentation; blocks indent and close themselves. Every emitting loop
/// writes through it, so checking for cancellation on each line stops a large model's emission promptly.
/// </summary>
internal sealed class SourceWriter(CancellationToken cancellationToken = default)
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void WriteLine(string line = "")
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (line.Length > 0)
        {
            for (int i = 0; i < _indent; i++)
                _builder.Append(IndentUnit);
            _builder.Append(line);
        }
        _builder.Append('\n');
    }

    /// <summary>Writes each line of a multi-line block (e.g. a raw string literal) at the current indentation.</summary>
    public void WriteLines(string block)
    {
        foreach (string line in block.Replace("\r\n", "\n").Split('\n'))
            WriteLine(line);
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; disposing the result closes the block.</summary>
    public Block Open(string header, string closing = "}")
    {
        WriteLine(header);
        WriteLine("{");
        _indent++;
        return new Block(this, closing);
    }

    public override string ToString() => _builder.ToString();

    public readonly struct Block : IDisposable
    {
        private readonly SourceWriter _writer;
        private readonly string _closing;

        public Block(SourceWriter writer, string closing)
        {
            _writer = writer;
            _closing = closing;
        }

        public void Dispose()
        {
            _writer._indent--;
            _writer.WriteLine(_closing);
        }
    }
}
