using Portal.Server.Tests.Infrastructure;

namespace Portal.Server.Tests.Readme;

/// <summary>
/// Every C# block of README.md compiles as written: pasted alone into the Program.cs of a new console project
/// (implicit usings, nullable on) that references Portal, Portal.Storage and Portal.Extensions.AI.
/// </summary>
public sealed class ReadmeSnippetTests
{
    /// <summary>One case per C# block of README.md, named by the heading above it and its line.</summary>
    public static TheoryData<string> Snippets()
    {
        // An empty theory fails in xunit 2 ("No data found"), and Readme_HasCSharpSnippets says why in words.
        var data = new TheoryData<string>();
        foreach (var snippet in ReadmeSnippets.Extract(File.ReadAllText(RepositoryFiles.ReadmePath())))
        {
            data.Add(snippet.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void ReadmeSnippet_CompilesAsWritten(string snippet)
    {
        var found = ReadmeSnippets.Extract(File.ReadAllText(RepositoryFiles.ReadmePath())).SingleOrDefault(s => s.Name == snippet);
        Assert.True(found is not null, $"README.md changed while the tests ran: no C# block is named {snippet} any more.");

        var diagnostics = ReadmeSnippets.Compile(found.Code);

        Assert.True(
            diagnostics.Count == 0,
            $"The C# block under \"{found.Heading}\" at README.md line {found.Line} does not compile as written "
            + "(as the Program.cs of a console project, with only the implicit usings: every other using, and every "
            + "variable it uses, must be in the block):\n" + ReadmeSnippets.Format(diagnostics, found.Line));
    }

    [Fact]
    public void Readme_HasCSharpSnippets()
    {
        var snippets = ReadmeSnippets.Extract(File.ReadAllText(RepositoryFiles.ReadmePath()));

        // The library sections each show code; finding none means the extraction broke, not that all is well.
        Assert.True(snippets.Count > 0, "README.md has no ```csharp block: the snippet check would check nothing.");
        foreach (var heading in new[] { "Embedding the library", "With dependency injection", "Storage (`Portal.Storage`)" })
        {
            Assert.Contains(snippets, s => s.Heading == heading);
        }
    }

    [Fact]
    public void Extract_MarkdownWithSeveralFences_ReturnsOnlyCSharpWithHeadingAndLine()
    {
        const string Markdown = """
            # Title

            ```bash
            # a shell comment, not a heading
            echo hi
            ```

            ## Library

            ```csharp
            Console.WriteLine(1);
            ```

            ````cs
            ```
            Console.WriteLine(2);
            ````
            """;

        var snippets = ReadmeSnippets.Extract(Markdown);

        Assert.Equal(
            [new Snippet("Library", 11, "Console.WriteLine(1);"), new Snippet("Library", 15, "```\nConsole.WriteLine(2);")],
            snippets);
    }

    [Fact]
    public void Extract_UnclosedFence_Throws()
    {
        var exception = Assert.Throws<FormatException>(() => ReadmeSnippets.Extract("text\n```csharp\nvar x = 1;\n"));
        Assert.Contains("line 2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_CompleteProgram_HasNoDiagnostics()
    {
        var diagnostics = ReadmeSnippets.Compile("""
            using Portal;

            var repository = new InMemoryPortalRepository();
            await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });
            Console.WriteLine(gateway.GetHealth(ResourceKind.Platform, 1).Status);
            """);

        Assert.True(diagnostics.Count == 0, ReadmeSnippets.Format(diagnostics, 1));
    }

    [Fact]
    public void Compile_ChatMessageWithBothNamespaces_ReportsAmbiguity()
    {
        var diagnostics = ReadmeSnippets.Compile("""
            using Microsoft.Extensions.AI;
            using Portal.Contracts;

            var message = new ChatMessage("user", "Hello!");
            """);

        Assert.Contains(diagnostics, d => d.Id == "CS0104");
    }

    [Fact]
    public void Compile_UsingMissing_ReportsUnknownType()
    {
        // PortalChatClient lives in Portal.Extensions.AI; without that using the snippet does not compile.
        var diagnostics = ReadmeSnippets.Compile("""
            using Portal;

            await using var gateway = PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository() });
            var client = new PortalChatClient(gateway, defaultModel: "fast");
            """);

        Assert.Contains(diagnostics, d => d.Id == "CS0246");
    }

    [Fact]
    public void Compile_UndeclaredVariable_ReportsError()
    {
        var diagnostics = ReadmeSnippets.Compile("builder.Services.AddPortalChatClient();");

        Assert.Contains(diagnostics, d => d.Id == "CS0103");
    }

    [Fact]
    public void Compile_TestOnlyPublicTypes_AreNotReachable()
    {
        // The tests' own assemblies are not references: a snippet may not lean on what a reader does not have.
        var diagnostics = ReadmeSnippets.Compile("""
            Console.WriteLine(typeof(Portal.Testing.FakeUpstream));
            Console.WriteLine(typeof(Xunit.Assert));
            """);

        Assert.Equal(["CS0234", "CS0246"], diagnostics.Select(d => d.Id));
    }
}
