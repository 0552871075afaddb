using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Portal.Server.Tests.Readme;

/// <summary>A fenced C# block of a Markdown file: the heading above it, its first code line (1-based) and its code.</summary>
public sealed record Snippet(string Heading, int Line, string Code)
{
    /// <summary>
    /// What a test case is called: <c>README.md:243 Embedding the library</c>; the line comes first because xunit cuts
    /// a displayed argument at 50 characters, and two blocks may share a heading.
    /// </summary>
    public string Name => $"README.md:{Line} {Heading}";
}

/// <summary>Finds the C# blocks of a Markdown file and compiles one as a reader would paste it into a console project.</summary>
public static partial class ReadmeSnippets
{
    /// <summary>
    /// The global usings a console project gets from <c>ImplicitUsings</c>, and nothing more: every other <c>using</c>
    /// a snippet needs must be written in the snippet.
    /// </summary>
    public static readonly ImmutableArray<string> ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading",
        "System.Threading.Tasks",
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    /// <summary>The C# blocks (<c>```csharp</c>, <c>```cs</c>, <c>```c#</c>) of <paramref name="markdown"/>, in order.</summary>
    /// <exception cref="FormatException">A fenced block is not closed.</exception>
    public static IReadOnlyList<Snippet> Extract(string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var snippets = new List<Snippet>();
        var heading = "(before any heading)";
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
            {
                var title = Heading().Match(lines[i]);
                if (title.Success)
                {
                    heading = title.Groups["title"].Value.Trim();
                }

                continue;
            }

            // Every fence is skipped to its end, so a '#' comment inside a bash block is not taken for a heading.
            var start = i + 1;
            var end = start;
            while (end < lines.Length && !IsClosingFence(lines[end], open.Groups["fence"].Value))
            {
                end++;
            }

            if (end == lines.Length)
            {
                throw new FormatException($"The code block opened at line {i + 1} is not closed.");
            }

            if (IsCSharp(open.Groups["info"].Value))
            {
                snippets.Add(new Snippet(heading, start + 1, string.Join('\n', lines[start..end])));
            }

            i = end;
        }

        return snippets;
    }

    /// <summary>
    /// Compiles <paramref name="code"/> as the top-level program of a console project (<c>Nullable</c> enabled, the
    /// implicit usings, every assembly the test process has except the tests' own) and returns its errors and warnings.
    /// </summary>
    public static IReadOnlyList<Diagnostic> Compile(string code)
    {
        var globalUsings = CSharpSyntaxTree.ParseText(
            string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")),
            CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest),
            path: "ImplicitUsings.g.cs");
        var program = CSharpSyntaxTree.ParseText(code, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: "Program.cs");

        // Not named after a test assembly, so InternalsVisibleTo gives the snippet nothing a reader's program lacks.
        var compilation = CSharpCompilation.Create(
            "ReadmeSnippet",
            [globalUsings, program],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
                {
                    // The SDK's default NoWarn: assembly version unification between references.
                    ["CS1701"] = ReportDiagnostic.Suppress,
                    ["CS1702"] = ReportDiagnostic.Suppress,
                }));

        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        return [.. result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).OrderBy(d => d.Location.SourceSpan.Start)];
    }

    /// <summary>One line per diagnostic, with its line in the Markdown file: <c>README.md(245,5): error CS0104: …</c>.</summary>
    public static string Format(IEnumerable<Diagnostic> diagnostics, int firstLine) => string.Join(
        "\n",
        diagnostics.Select(d =>
        {
            var position = d.Location.GetLineSpan().StartLinePosition;
            var where = d.Location.SourceTree?.FilePath == "Program.cs"
                ? $"README.md({firstLine + position.Line},{position.Character + 1})"
                : d.Location.SourceTree?.FilePath ?? "(no location)";
            return $"{where}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
        }));

    private static bool IsCSharp(string info) =>
        info.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.ToLowerInvariant() is "csharp" or "cs" or "c#";

    private static bool IsClosingFence(string line, string fence)
    {
        var trimmed = line.Trim();
        return trimmed.Length >= fence.Length && trimmed.All(c => c == fence[0]);
    }

    /// <summary>
    /// The assemblies of the test process (the .NET and ASP.NET Core frameworks, Portal and its dependencies), less the
    /// tests' own: a snippet may not compile thanks to a test helper its reader does not have.
    /// </summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")
            ?? throw new InvalidOperationException("The runtime gave no TRUSTED_PLATFORM_ASSEMBLIES to compile against.");
        string[] testOnly = ["Portal.Server.Tests", "Portal.Testing", "xunit", "testhost", "Microsoft.TestPlatform", "Microsoft.VisualStudio.TestPlatform"];
        return
        [
            .. trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Where(path => !testOnly.Any(prefix => Path.GetFileName(path).StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
                .Select(path => MetadataReference.CreateFromFile(path)),
        ];
    }

    [GeneratedRegex(@"^ {0,3}(?<fence>`{3,}|~{3,})\s*(?<info>[^`]*)$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^ {0,3}#{1,6}\s+(?<title>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
