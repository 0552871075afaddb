using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;
using static Portal.Server.Tests.Anthropic.AnthropicKit;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.RealClients;

/// <summary>
/// The real Claude Code CLI (<c>claude -p</c>) against the real server: relayed to a fake Anthropic platform, and
/// converted for the mock platform.
/// </summary>
/// <remarks>
/// The CLI's path comes from <c>PORTAL_CLAUDE_CODE</c> (<c>.ci/run</c> installs the pinned version with npm and sets it);
/// without it the tests skip. Each run gets its own temporary HOME and working folder, so nothing of the machine's
/// Claude Code settings reaches it.
/// </remarks>
public sealed class ClaudeCodeTests(ITestOutputHelper output)
{
    private const string SkipReason = "Claude Code is not installed: .ci/run installs it with npm (set PORTAL_CLAUDE_CODE to its path)";
    private const string UpstreamAnswer = "hi from upstream";
    private const int InputTokens = 31;
    private const int CacheWrite = 1200;
    private const int CacheRead = 14000;
    private const int OutputTokens = 7;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Headers of the client that reach the upstream; any other (user-agent, x-stainless-*, x-app, ...) must not.</summary>
    private static readonly string[] ForwardedOrTransport =
        ["anthropic-version", "anthropic-beta", "content-type", "content-length", "accept", "accept-encoding", "host", "connection", "traceparent", "tracestate"];

    [SkippableFact]
    public async Task Print_AnthropicPlatform_RelaysClaudeCodesBytesWithThePlatformKeyAndPrintsTheUpstreamsText()
    {
        var claude = ClaudeCode();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(
            Event("message_start", MessageStart("msg_01ClaudeCodeRelay", InputTokens, CacheWrite, CacheRead)),
            BlockStart(0, """{"type":"text","text":""}"""),
            Event("ping", """{"type": "ping"}"""),
            TextDelta(0, "hi from "),
            TextDelta(0, "upstream"),
            BlockStop(0),
            MessageDelta("end_turn", OutputTokens),
            MessageStop());
        var recorder = new ClientRequestRecorder();
        await using var host = await StartAsync(recorder, AnthropicPlatform("claude", upstream.BaseUrl));

        var run = await RunAsync(claude, host, Alias);

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains(UpstreamAnswer, run.StandardOutput, StringComparison.Ordinal);

        // What Claude Code sent: a streamed Messages request with its beta list, its session id and the client token.
        var sent = Assert.Single(recorder.Requests, r => r.Path == "/v1/messages");
        Assert.Equal("?beta=true", sent.Query);
        Assert.Equal(ClientToken, sent.Header("x-api-key"));
        Assert.NotNull(sent.Header("x-claude-code-session-id"));
        var beta = sent.Header("anthropic-beta");
        Assert.NotNull(beta);
        Assert.Contains("claude-code-20250219", beta, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(sent.Body);
        var body = document.RootElement;
        Assert.Equal(Alias, body.GetProperty("model").GetString());
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.Contains(body.GetProperty("system").EnumerateArray(), b => b.TryGetProperty("cache_control", out _));
        var tools = body.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        output.WriteLine($"Claude Code sent {sent.Path}{sent.Query} with headers {string.Join(", ", sent.Headers.Keys)}; fields {string.Join(", ", body.EnumerateObject().Select(p => p.Name))}; tools {string.Join(", ", tools)}; anthropic-beta {beta}");
        Assert.True(tools.Count >= 5 && tools.Contains("Bash"), "Tools: " + string.Join(", ", tools));
        Assert.Equal(JsonValueKind.Object, body.GetProperty("thinking").ValueKind);
        Assert.Equal(JsonValueKind.Object, body.GetProperty("context_management").ValueKind);
        Assert.Equal(JsonValueKind.String, body.GetProperty("metadata").GetProperty("user_id").ValueKind);

        // What reached the upstream: those bytes with only model replaced, the platform's key, Anthropic's headers and nothing else of the client's.
        var received = Assert.Single(upstream.Requests);
        Assert.Equal("POST /v1/messages", received.Method + " " + received.Path);
        Assert.Equal(Encoding.UTF8.GetString(WithModel(sent.Body, UpstreamModel)), received.BodyText);
        Assert.Equal(PlatformKey, Header(received, "x-api-key"));
        Assert.Equal(AnthropicVersion, Header(received, "anthropic-version"));
        Assert.Equal(sent.Header("anthropic-version"), Header(received, "anthropic-version"));
        Assert.Equal(beta, Header(received, "anthropic-beta"));
        Assert.Null(Header(received, "authorization"));
        Assert.Null(Header(received, "x-claude-code-session-id"));
        var leaked = sent.Headers
            .Where(h => !ForwardedOrTransport.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
            .Where(h => received.Headers.TryGetValue(h.Key, out var value) && value == h.Value)
            .Select(h => $"{h.Key}: {h.Value}")
            .ToList();
        Assert.True(leaked.Count == 0, "Client headers reached the upstream: " + string.Join("; ", leaked));
        Assert.DoesNotContain(received.Headers.Values, value => value.Contains(ClientToken, StringComparison.Ordinal));
        Assert.DoesNotContain(ClientToken, received.BodyText, StringComparison.Ordinal);

        // The stat row: the Messages protocol relayed to an anthropic platform, with the upstream's usage and cache tokens.
        Assert.True(await EventuallyAsync(async () => (await StatsAsync(host)).Count > 0, Wait), "No stat row was written.");
        var stat = Assert.Single(await StatsAsync(host));
        Assert.True(stat.Success, stat.ErrorMessage);
        Assert.True(stat.IsStream);
        Assert.Equal(Alias, stat.ModelName);
        Assert.Equal("anthropic-messages", stat.Protocol);
        Assert.Equal("anthropic", stat.TargetFormat);
        Assert.Equal(InputTokens + CacheWrite + CacheRead, stat.PromptTokens);
        Assert.Equal(OutputTokens, stat.CompletionTokens);
        Assert.Equal(CacheRead, stat.CachedInputTokens);
        Assert.Equal(CacheWrite, stat.CacheWriteTokens);
    }

    [SkippableFact]
    public async Task Print_MockPlatform_ConvertsAndPrintsTheMocksAnswer()
    {
        var claude = ClaudeCode();
        await using var host = await StartAsync(new ClientRequestRecorder(), MockPlatform());

        var run = await RunAsync(claude, host, "fast");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("This is a mock response from", run.StandardOutput, StringComparison.Ordinal);
        Assert.True(await EventuallyAsync(async () => (await StatsAsync(host)).Count > 0, Wait), "No stat row was written.");
        var stat = Assert.Single(await StatsAsync(host));
        Assert.True(stat.Success, stat.ErrorMessage);
        Assert.Equal("anthropic-messages", stat.Protocol);
        Assert.Equal("mock", stat.TargetFormat);
    }

    /// <summary>A server with <paramref name="platforms"/> that accepts <see cref="ClientToken"/> and records what clients send it.</summary>
    private static Task<GatewayHost> StartAsync(ClientRequestRecorder recorder, params JsonObject[] platforms) => GatewayHost.StartAsync(o =>
    {
        o.PortalJson = PortalJson(platforms);
        o.ClientTokens.Add(ClientToken);
        o.ConfigureServices = services => services.AddSingleton<IStartupFilter>(recorder);
    });

    /// <summary>The path of the CLI from <c>PORTAL_CLAUDE_CODE</c>; skips the test when it is unset.</summary>
    private static string ClaudeCode()
    {
        var path = Environment.GetEnvironmentVariable("PORTAL_CLAUDE_CODE");
        Skip.If(string.IsNullOrWhiteSpace(path), SkipReason);
        Assert.True(File.Exists(path), $"PORTAL_CLAUDE_CODE is {path}, which does not exist.");
        return path;
    }

    /// <summary>
    /// Runs <c>claude -p "say hi" --model {model}</c> against <paramref name="host"/> with <see cref="ClientToken"/> as its
    /// API key, in a fresh HOME, and waits for it to exit; kills its process tree after <see cref="RunTimeout"/>.
    /// </summary>
    private async Task<CliRun> RunAsync(string claude, GatewayHost host, string model)
    {
        var home = Directory.CreateTempSubdirectory("portal-claude-code-");
        try
        {
            var start = new ProcessStartInfo(claude)
            {
                WorkingDirectory = home.FullName,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "-p", "say hi", "--model", model })
            {
                start.ArgumentList.Add(argument);
            }

            // Nothing of the machine's Anthropic or Claude Code settings: only what the README's command sets.
            foreach (var name in start.Environment.Keys.Where(IsClaudeSetting).ToList())
            {
                start.Environment.Remove(name);
            }

            start.Environment["HOME"] = home.FullName;
            start.Environment["ANTHROPIC_BASE_URL"] = host.BaseUrl;
            start.Environment["ANTHROPIC_API_KEY"] = ClientToken;
            start.Environment["DISABLE_TELEMETRY"] = "1";
            start.Environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
            start.Environment["DISABLE_AUTOUPDATER"] = "1";

            using var process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null for " + claude);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(RunTimeout);
            var timedOut = false;
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the timeout and the kill.
                }

                await process.WaitForExitAsync();
            }

            var run = new CliRun(timedOut ? null : process.ExitCode, await stdout, await stderr);
            output.WriteLine(run.Describe());
            Assert.False(timedOut, $"Claude Code did not exit within {RunTimeout.TotalSeconds} s and was killed. {run.Describe()}");
            return run;
        }
        finally
        {
            try
            {
                home.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Records every request a client sends the server (path, query, headers, body) before the server sees it.</summary>
    private sealed class ClientRequestRecorder : IStartupFilter
    {
        private readonly ConcurrentQueue<ClientRequest> _requests = new();

        public IReadOnlyList<ClientRequest> Requests => [.. _requests];

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                context.Request.EnableBuffering();
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                context.Request.Body.Position = 0;
                var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                _requests.Enqueue(new ClientRequest(context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body.ToArray()));
                await nextMiddleware(context);
            });
            next(app);
        };
    }

    /// <summary>A request as the client sent it.</summary>
    private sealed record ClientRequest(string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
    }

    private static bool IsClaudeSetting(string name) =>
        name.StartsWith("ANTHROPIC_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("CLAUDE", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("XDG_", StringComparison.OrdinalIgnoreCase);

    /// <summary>How a run of the CLI ended: its exit code (<see langword="null"/> when killed) and what it printed.</summary>
    private sealed record CliRun(int? ExitCode, string StandardOutput, string StandardError)
    {
        public string Describe() =>
            $"Exit code: {ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (killed)"}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
    }
}
