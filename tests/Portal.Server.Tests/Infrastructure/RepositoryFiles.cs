using System.Diagnostics;

namespace Portal.Server.Tests.Infrastructure;

/// <summary>
/// Files of the repository that tests check. README.md is read from the working copy, the document being edited.
/// Shipped files a user is told to edit (portal.json: "add real platforms to portal.json") are read as committed, so a
/// working copy set up for real platforms, with <c>env:</c> keys the test process lacks, does not fail the tests.
/// </summary>
internal static class RepositoryFiles
{
    /// <summary>The folder holding Portal.slnx, found by walking up from the test binaries.</summary>
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Portal.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Portal.slnx was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>README.md of the working copy.</summary>
    public static string ReadmePath() => Path.Combine(Root(), "README.md");

    /// <summary>
    /// The text of a shipped file as committed at HEAD (<c>git show HEAD:path</c>), not the working copy's, which
    /// users edit. Outside a git checkout (a source archive) there is no commit, and the file as unpacked is the shipped one.
    /// </summary>
    /// <param name="path">The file's path from the repository root, with forward slashes.</param>
    public static async Task<string> ReadShippedAsync(string path)
    {
        var root = Root();
        if (!Path.Exists(Path.Combine(root, ".git")))
        {
            return await File.ReadAllTextAsync(Path.Combine(root, path));
        }

        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-C", root, "show", "HEAD:" + path })
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start) ?? throw new InvalidOperationException("git did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = git.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = git.StandardError.ReadToEndAsync(timeout.Token);
        await git.WaitForExitAsync(timeout.Token);
        if (git.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`git show HEAD:{path}` in {root} exited with {git.ExitCode}: {(await error).Trim()}. The test checks the "
                + $"shipped {path} as committed, not the working copy's, which the README tells users to edit.");
        }

        return await output;
    }
}
