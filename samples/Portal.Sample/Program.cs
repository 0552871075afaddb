// Embeds the Portal engine: one platform, one model, one key from the environment; one answer, one stream, the stats.
//   PORTAL_BASE_URL   the platform's base URL (default https://api.openai.com)
//   PORTAL_API_KEY    its API key (required)
//   PORTAL_MODEL      the upstream model name (default gpt-4o-mini)
using Microsoft.Extensions.Logging;
using Portal;
using Portal.Contracts;

var apiKey = Environment.GetEnvironmentVariable("PORTAL_API_KEY");
if (string.IsNullOrEmpty(apiKey))
{
    Console.Error.WriteLine("Set PORTAL_API_KEY (and optionally PORTAL_BASE_URL and PORTAL_MODEL) to an OpenAI-compatible platform.");
    return 2;
}

var repository = new InMemoryPortalRepository();
repository.Add(new Platform
{
    Id = 1,
    Name = "main",
    Format = "openai",
    BaseUrl = Environment.GetEnvironmentVariable("PORTAL_BASE_URL") ?? "https://api.openai.com",
});
repository.Add(new Model { Id = 1, PlatformId = 1, Name = Environment.GetEnvironmentVariable("PORTAL_MODEL") ?? "gpt-4o-mini", Alias = "default" });
repository.Add(new ApiKey { Id = 1, PlatformId = 1, Value = apiKey });

using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, LoggerFactory = loggerFactory });

var request = new ChatCompletionRequest
{
    Model = "default", // the alias; the platform receives the model's upstream name
    Messages = [new ChatMessage("user", "Say hello in five words.")],
};

try
{
    var response = await gateway.ChatCompletionAsync(request);
    Console.WriteLine(response.Choices[0].Message?.Content?.Text);

    await foreach (var chunk in gateway.StreamChatCompletionAsync(request))
    {
        Console.Write(chunk.Choices.Count > 0 ? chunk.Choices[0].Delta?.Content : null);
    }

    Console.WriteLine();
}
catch (PortalException e)
{
    Console.Error.WriteLine($"{e.Code} (upstream status {e.StatusCode?.ToString() ?? "none"}): {e.Message}");
}

var summary = await gateway.CountStatsAsync(new StatsQuery());
Console.WriteLine($"{summary.TotalRequests} requests, {summary.SuccessRequests} served, in {summary.TotalAttempts} upstream attempts");
await gateway.ShutdownAsync(TimeSpan.FromSeconds(10));
return 0;
