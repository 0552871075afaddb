using System.Text;

namespace Portal.Server.Cli;

/// <summary>A plain-text table for the terminal: a header row, a rule, and columns padded to their widest cell.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row; the first column is left-aligned, the others (numbers) right-aligned.</summary>
    public void Add(params string[] cells) => _rows.Add(cells);

    public override string ToString()
    {
        var widths = new int[headers.Length];
        foreach (var row in _rows.Prepend(headers))
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], i < row.Length ? row[i].Length : 0);
            }
        }

        var text = new StringBuilder();
        Append(text, headers, widths);
        Append(text, [.. widths.Select(w => new string('-', w))], widths);
        foreach (var row in _rows)
        {
            Append(text, row, widths);
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, string[] cells, int[] widths)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Length ? cells[i] : "";
            if (i > 0)
            {
                text.Append("  ");
            }

            text.Append(i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
        }

        text.Append('\n');
    }
}
