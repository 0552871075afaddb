using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Server.Admin.Shared;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Tests.Admin.Shared;

/// <summary>The one mapping from a config store's refusal to the admin API's answer: each kind to its status and error body.</summary>
public sealed class AdminResultsTests
{
    public static TheoryData<ConfigWriteError, string, long, string, bool, int, string, string, string, string> Refusals => new()
    {
        {
            new ConfigWriteError(ConfigWriteErrorKind.NotFound, "No model with id 7."),
            "model", 7, "name", false,
            404, "not_found_error", "not_found", "id",
            "No model with id 7."
        },
        {
            new ConfigWriteError(ConfigWriteErrorKind.Conflict, "A platform named 'a' already exists."),
            "platform", 0, "name", false,
            409, "invalid_request_error", "conflict", "name",
            "A platform named 'a' already exists."
        },
        {
            new ConfigWriteError(ConfigWriteErrorKind.Conflict, "Platform 2 already has a key with the same value."),
            "key", 5, "value", false,
            409, "invalid_request_error", "conflict", "value",
            "Platform 2 already has a key with the same value."
        },
        {
            new ConfigWriteError(ConfigWriteErrorKind.ConfigManaged, "store's words"),
            "model", 7, "name", false,
            409, "invalid_request_error", "config_managed", "force",
            "The model 7 is managed by the config file (setting Portal:ConfigFile) and the next import would undo this: change it in that file, or add ?force=true to change it here until then."
        },
        {
            new ConfigWriteError(ConfigWriteErrorKind.ConfigManaged, "store's words"),
            "key", 9, "id", true,
            409, "invalid_request_error", "config_managed", "force",
            "The key 9 is managed by the config file (setting Portal:ConfigFile) and the next import would undo this: remove it from that file, or add ?force=true to delete it here until then."
        },
        {
            new ConfigWriteError(ConfigWriteErrorKind.PlatformInUse, "store's words") { Models = 2, Keys = 1 },
            "platform", 3, "id", true,
            409, "invalid_request_error", "platform_in_use", "cascade",
            "The platform 3 still has 2 model(s) and 1 key(s): delete them first, add ?cascade=true to delete them with it, or set enabled to false to stop routing to it and keep its configuration."
        },
        {
            new ConfigWriteError(ConfigWriteErrorKind.Invalid, "Platform.Name is longer than 200 characters."),
            "platform", 0, "name", false,
            400, "invalid_request_error", "invalid_value", "name",
            "Platform.Name is longer than 200 characters."
        },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refused_EachKind_AnswersItsStatusAndErrorBody(ConfigWriteError error, string kind, long id, string writeParam, bool delete, int status, string type, string code, string param, string message)
    {
        var (actualStatus, body) = await ExecuteAsync(AdminResults.Refused(error, new AdminWrite(kind, id, writeParam, delete)), Services(new FakeLogCollector()));

        Assert.Equal(status, actualStatus);
        Assert.Equal(
            new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code } }.ToJsonString(),
            body.ToJsonString());
    }

    [Fact]
    public void Refused_EveryKind_HasAMapping()
    {
        var write = new AdminWrite("platform", 1, "name");
        foreach (var kind in Enum.GetValues<ConfigWriteErrorKind>())
        {
            Assert.InRange(AdminResults.ToError(new ConfigWriteError(kind, "m"), write).Status, 400, 499);
        }
    }

    [Theory]
    [InlineData(false, "The platform 3 is managed by the config file (Portal:ConfigFile); the next import of that file will undo this change.")]
    [InlineData(true, "The platform 3 is managed by the config file (Portal:ConfigFile); the next import of that file adds it back while the file lists it.")]
    public void Warning_ForcedWriteOfAConfigFileRow_WarnsAndLogsIt(bool delete, string expected)
    {
        var logs = new FakeLogCollector();
        var http = new DefaultHttpContext { RequestServices = Services(logs) };

        var warning = AdminResults.Warning(http, RowSources.Config, new AdminWrite("platform", 3, "name", delete));

        Assert.Equal(expected, warning);
        var record = Assert.Single(logs.GetSnapshot());
        Assert.Equal((LogLevel.Warning, 4003), (record.Level, record.Id.Id));
    }

    [Fact]
    public void Warning_AdminRow_NoneAndNothingLogged()
    {
        var logs = new FakeLogCollector();
        var http = new DefaultHttpContext { RequestServices = Services(logs) };

        Assert.Null(AdminResults.Warning(http, RowSources.Admin, new AdminWrite("model", 3, "name")));
        Assert.Empty(logs.GetSnapshot());
    }

    private static ServiceProvider Services(FakeLogCollector logs) =>
        new ServiceCollection().AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs))).BuildServiceProvider();

    private static async Task<(int Status, JsonNode Body)> ExecuteAsync(IResult result, IServiceProvider services)
    {
        var http = new DefaultHttpContext { RequestServices = services };
        using var body = new MemoryStream();
        http.Response.Body = body;
        await result.ExecuteAsync(http);
        Assert.Equal("application/json", http.Response.ContentType?.Split(';')[0]);
        body.Position = 0;
        return (http.Response.StatusCode, JsonNode.Parse(body)!);
    }
}
