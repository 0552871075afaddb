using Portal.Providers;
using Portal.Storage.Configuration;

namespace Portal.Storage.Tests.Configuration;

public sealed class PortalConfigLoaderTests
{
    private const string File = "portal.json";

    private static readonly Dictionary<string, string> ExampleEnvironment = new()
    {
        ["OPENAI_API_KEY"] = "sk-openai-primary-0001",
        ["OPENAI_API_KEY_2"] = "sk-openai-backup-0002",
        ["DEEPSEEK_API_KEY"] = "sk-deepseek-0003",
    };

    private static string? NoEnvironment(string name) => null;

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    /// <summary>Wraps one platform object in a file.</summary>
    private static string Platform(string body) => $$"""{ "platforms": [ { {{body}} } ] }""";

    private const string Minimal = """ "name": "p", "format": "openai", "baseUrl": "https://example.com/v1" """;

    [Fact]
    public void Load_ExampleFile_ReadsEveryPlatformModelAndKey()
    {
        var path = FindExampleFile();

        var file = PortalConfigLoader.Load(path, name => ExampleEnvironment.GetValueOrDefault(name));

        Assert.Equal(path, file.FilePath);
        Assert.Equal(["openai", "deepseek", "local"], file.Platforms.Select(p => p.Name));
        var openai = file.Platforms[0];
        Assert.Equal(PlatformFormats.OpenAI, openai.Format);
        Assert.Equal("https://api.openai.com/v1", openai.BaseUrl);
        Assert.True(openai.Enabled);
        Assert.Equal(new RateLimit { Rpm = 500, Tpm = 200000 }, openai.RateLimit);
        Assert.Equal(["gpt-4o-mini", "gpt-4o", "gpt-4.1", "o1"], openai.Models.Select(m => m.Name));
        Assert.Equal(["fast", "smart", null, null], openai.Models.Select(m => m.Alias));
        Assert.Equal([true, true, true, false], openai.Models.Select(m => m.Enabled));
        Assert.Collection(
            openai.Keys,
            k =>
            {
                Assert.Null(k.Name);
                Assert.Equal("sk-openai-primary-0001", k.Value);
                Assert.Equal("OPENAI_API_KEY", k.EnvironmentVariable);
            },
            k =>
            {
                Assert.Equal("backup", k.Name);
                Assert.Equal("sk-openai-backup-0002", k.Value);
                Assert.Equal("OPENAI_API_KEY_2", k.EnvironmentVariable);
                Assert.True(k.Enabled);
            });
        Assert.Equal("sk-deepseek-0003", Assert.Single(file.Platforms[1].Keys).Value);
        var local = file.Platforms[2];
        Assert.False(local.Enabled);
        Assert.Equal(new RateLimit(), local.RateLimit);
        var literal = Assert.Single(local.Keys);
        Assert.Equal("ollama", literal.Value);
        Assert.Null(literal.EnvironmentVariable);
    }

    [Fact]
    public void Load_ExampleFileWithoutItsVariables_NamesTheFirstMissingOne()
    {
        var path = FindExampleFile();

        var ex = Assert.Throws<PortalConfigException>(() => PortalConfigLoader.Load(path, NoEnvironment));

        Assert.Equal(path, ex.FilePath);
        Assert.Equal("$.platforms[0].keys[0]", ex.JsonPath);
        Assert.Equal("environment variable OPENAI_API_KEY is not set", ex.Problem);
    }

    [Fact]
    public void Load_FileOnDisk_ReportsItsPathInErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"portal-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, Platform(Minimal + """, "models": [ 5 ] """));
        try
        {
            var ex = Assert.Throws<PortalConfigException>(() => PortalConfigLoader.Load(path, NoEnvironment));

            Assert.Equal(path, ex.FilePath);
            Assert.Equal($"{path}: $.platforms[0].models[0]: must be a model name (string) or an object, not a number", ex.Message);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        var path = Path.Combine(Path.GetTempPath(), $"portal-{Guid.NewGuid():N}.json");

        Assert.Throws<FileNotFoundException>(() => PortalConfigLoader.Load(path));
    }

    [Fact]
    public void Parse_MinimalPlatform_AppliesDefaults()
    {
        var file = PortalConfigLoader.Parse(Platform(Minimal), File, NoEnvironment);

        var platform = Assert.Single(file.Platforms);
        Assert.Equal("p", platform.Name);
        Assert.True(platform.Enabled);
        Assert.Null(platform.ApiVersion);
        Assert.Null(platform.DefaultMaxTokens);
        Assert.Null(platform.RateLimit.Rpm);
        Assert.Null(platform.RateLimit.Tpm);
        Assert.Empty(platform.Models);
        Assert.Empty(platform.Keys);
    }

    [Fact]
    public void Parse_NoPlatforms_IsAnEmptyConfiguration()
    {
        var file = PortalConfigLoader.Parse("""{ "platforms": [] }""", File, NoEnvironment);

        Assert.Empty(file.Platforms);
    }

    [Fact]
    public void Parse_CommentsAndTrailingCommas_AreAccepted()
    {
        const string json = """
            // leading comment
            {
              /* block */ "platforms": [
                { "name": "p", "format": "openai", "baseUrl": "http://localhost:8080", "models": [ "m", ], },
              ],
            }
            """;

        var file = PortalConfigLoader.Parse(json, File, NoEnvironment);

        Assert.Equal("m", Assert.Single(Assert.Single(file.Platforms).Models).Name);
    }

    [Fact]
    public void Parse_FormatInAnotherCase_IsStoredInItsCanonicalSpelling()
    {
        var file = PortalConfigLoader.Parse(Platform(""" "name": "p", "format": "OpenAI", "baseUrl": "https://example.com" """), File, NoEnvironment);

        Assert.Equal(PlatformFormats.OpenAI, Assert.Single(file.Platforms).Format);
    }

    [Fact]
    public void Parse_NullOptionalProperties_MeanTheDefaults()
    {
        var json = Platform(Minimal + """, "apiVersion": null, "defaultMaxTokens": null, "enabled": null, "rateLimit": null, "models": [ { "name": "m", "alias": null } ], "keys": null """);

        var platform = Assert.Single(PortalConfigLoader.Parse(json, File, NoEnvironment).Platforms);

        Assert.Null(platform.ApiVersion);
        Assert.Null(platform.DefaultMaxTokens);
        Assert.True(platform.Enabled);
        Assert.Equal(new RateLimit(), platform.RateLimit);
        Assert.Null(Assert.Single(platform.Models).Alias);
        Assert.Empty(platform.Keys);
    }

    [Fact]
    public void Parse_ApiVersionAndDefaultMaxTokens_AreRead()
    {
        var longest = "v" + new string('9', 99);
        var json = $$"""{ "platforms": [ { {{Minimal}}, "apiVersion": "2023-06-01", "defaultMaxTokens": 8192 }, { "name": "q", "format": "openai", "baseUrl": "https://q.example", "apiVersion": "{{longest}}", "defaultMaxTokens": 1 } ] }""";

        var platforms = PortalConfigLoader.Parse(json, File, NoEnvironment).Platforms;

        Assert.Equal(("2023-06-01", (int?)8192), (platforms[0].ApiVersion, platforms[0].DefaultMaxTokens));
        Assert.Equal((longest, (int?)1), (platforms[1].ApiVersion, platforms[1].DefaultMaxTokens));
    }

    [Fact]
    public void Parse_EnvKeys_ReadTheEnvironmentFunction()
    {
        var json = Platform(Minimal + """, "keys": [ "env:A", { "name": "b", "value": "env:B", "enabled": false }, "sk-literal-value" ] """);

        var keys = Assert.Single(PortalConfigLoader.Parse(json, File, Environment(("A", "sk-from-a"), ("B", "sk-from-b"))).Platforms).Keys;

        Assert.Equal(["sk-from-a", "sk-from-b", "sk-literal-value"], keys.Select(k => k.Value));
        Assert.Equal(["A", "B", null], keys.Select(k => k.EnvironmentVariable));
        Assert.Equal([true, false, true], keys.Select(k => k.Enabled));
    }

    [Fact]
    public void Parse_WithoutEnvironmentFunction_ReadsTheProcessEnvironment()
    {
        var variable = $"PORTAL_TEST_KEY_{Guid.NewGuid():N}";
        System.Environment.SetEnvironmentVariable(variable, "sk-process-environment");
        try
        {
            var file = PortalConfigLoader.Parse(Platform(Minimal + $$""", "keys": [ "env:{{variable}}" ] """), File);

            Assert.Equal("sk-process-environment", Assert.Single(Assert.Single(file.Platforms).Keys).Value);
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void KeyConfig_ToString_MasksTheValue()
    {
        var file = PortalConfigLoader.Parse(Platform(Minimal + """, "keys": [ "sk-abcdefghijklmnop1234" ] """), File, NoEnvironment);

        var text = Assert.Single(Assert.Single(file.Platforms).Keys).ToString();

        Assert.DoesNotContain("abcdefghijklmnop", text, StringComparison.Ordinal);
        Assert.Contains("1234", text, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> InvalidFiles => new()
    {
        // Not JSON.
        { "{ \"platforms\": [ }", "$", "not valid JSON at line 1, position 18" },
        { "{\n  \"platforms\": [\n    { \"name\" \"p\" }\n  ]\n}", "$", "not valid JSON at line 3, position 14" },
        { "", "$", "the file is empty" },
        { " \n ", "$", "the file is empty" },
        { "{ \"platforms\": [] } trailing", "$", "not valid JSON" },

        // Wrong types.
        { "[]", "$", "must be an object, not an array" },
        { """{ "platforms": {} }""", "$.platforms", "must be an array, not an object" },
        { """{ "platforms": [ 1 ] }""", "$.platforms[0]", "must be an object, not a number" },
        { Platform(""" "name": 5, "format": "openai", "baseUrl": "https://example.com" """), "$.platforms[0].name", "must be a string, not a number" },
        { Platform(""" "name": null, "format": "openai", "baseUrl": "https://example.com" """), "$.platforms[0].name", "must be a string, not null" },
        { Platform(Minimal + """, "enabled": "yes" """), "$.platforms[0].enabled", "must be true or false, not a string" },
        { Platform(Minimal + """, "rateLimit": 5 """), "$.platforms[0].rateLimit", "must be an object, not a number" },
        { Platform(Minimal + """, "models": "gpt-4o" """), "$.platforms[0].models", "must be an array, not a string" },
        { Platform(Minimal + """, "models": [ [] ] """), "$.platforms[0].models[0]", "must be a model name (string) or an object, not an array" },
        { Platform(Minimal + """, "models": [ { "name": "m", "alias": 1 } ] """), "$.platforms[0].models[0].alias", "must be a string, not a number" },
        { Platform(Minimal + """, "keys": { "value": "k" } """), "$.platforms[0].keys", "must be an array, not an object" },
        { Platform(Minimal + """, "keys": [ 42 ] """), "$.platforms[0].keys[0]", "must be a key value (string) or an object, not a number" },
        { Platform(Minimal + """, "keys": [ { "value": true } ] """), "$.platforms[0].keys[0].value", "must be a string, not a boolean" },

        // API version and default max_tokens.
        { Platform(Minimal + """, "apiVersion": 20230601 """), "$.platforms[0].apiVersion", "must be a string, not a number" },
        { Platform(Minimal + """, "apiVersion": "" """), "$.platforms[0].apiVersion", "must not be empty" },
        { Platform(Minimal + """, "apiVersion": "2023-06-01 " """), "$.platforms[0].apiVersion", "\"2023-06-01 \" starts or ends with whitespace" },
        { Platform(Minimal + $$""", "apiVersion": "{{new string('1', 101)}}" """), "$.platforms[0].apiVersion", "is longer than 100 characters" },
        { Platform(Minimal + """, "apiVersion": "2023-06-01\r\nx-injected: 1" """), "$.platforms[0].apiVersion", "contains a control character (U+000D)" },
        { Platform(Minimal + """, "apiVersion": "2023\u000006-01" """), "$.platforms[0].apiVersion", "contains a control character (U+0000)" },
        { Platform(Minimal + """, "defaultMaxTokens": 0 """), "$.platforms[0].defaultMaxTokens", "must be at least 1, not 0 (omit it for the default, 4096)" },
        { Platform(Minimal + """, "defaultMaxTokens": -1 """), "$.platforms[0].defaultMaxTokens", "must be at least 1, not -1" },
        { Platform(Minimal + """, "defaultMaxTokens": 1024.5 """), "$.platforms[0].defaultMaxTokens", "must be a whole number, not 1024.5" },
        { Platform(Minimal + """, "defaultMaxTokens": "4096" """), "$.platforms[0].defaultMaxTokens", "must be a whole number, not a string" },
        { Platform(Minimal + """, "defaultMaxTokens": 3000000000 """), "$.platforms[0].defaultMaxTokens", "must be at most 2147483647, not 3000000000" },
        { Platform(Minimal + """, "apiversion": "2023-06-01" """), "$.platforms[0].apiversion", "unknown property \"apiversion\"; did you mean \"apiVersion\"?" },

        // Missing required properties.
        { "{}", "$", "required property \"platforms\" is missing" },
        { Platform(""" "format": "openai", "baseUrl": "https://example.com" """), "$.platforms[0]", "required property \"name\" is missing" },
        { Platform(""" "name": "p", "baseUrl": "https://example.com" """), "$.platforms[0]", "required property \"format\" is missing" },
        { Platform(""" "name": "p", "format": "openai" """), "$.platforms[0]", "required property \"baseUrl\" is missing" },
        { Platform(Minimal + """, "models": [ { "alias": "fast" } ] """), "$.platforms[0].models[0]", "required property \"name\" is missing" },
        { Platform(Minimal + """, "keys": [ { "name": "k" } ] """), "$.platforms[0].keys[0]", "required property \"value\" is missing" },

        // Empty or padded strings.
        { Platform(""" "name": "", "format": "openai", "baseUrl": "https://example.com" """), "$.platforms[0].name", "must not be empty" },
        { Platform(Minimal + """, "models": [ "gpt-4o " ] """), "$.platforms[0].models[0]", "\"gpt-4o \" starts or ends with whitespace" },
        { Platform(Minimal + """, "keys": [ "" ] """), "$.platforms[0].keys[0]", "must not be empty" },
        { Platform(Minimal + """, "keys": [ " sk-padded-secret" ] """), "$.platforms[0].keys[0]", "the key value starts or ends with whitespace" },
        { Platform($$""" "name": "{{new string('n', 201)}}", "format": "openai", "baseUrl": "https://example.com" """), "$.platforms[0].name", "is longer than 200 characters" },

        // Unknown format.
        { Platform(""" "name": "p", "format": "gemini", "baseUrl": "https://example.com" """), "$.platforms[0].format", "unknown format \"gemini\"; expected one of: openai, anthropic, mock" },

        // Base URL not an absolute http(s) URL.
        { Platform(""" "name": "p", "format": "openai", "baseUrl": "api.openai.com/v1" """), "$.platforms[0].baseUrl", "\"api.openai.com/v1\" must be an absolute http or https URL" },
        { Platform(""" "name": "p", "format": "openai", "baseUrl": "/v1" """), "$.platforms[0].baseUrl", "must be an absolute http or https URL" },
        { Platform(""" "name": "p", "format": "openai", "baseUrl": "ftp://example.com" """), "$.platforms[0].baseUrl", "must be an absolute http or https URL" },

        // Duplicates.
        { """{ "platforms": [ { "name": "a", "format": "openai", "baseUrl": "https://a.example" }, { "name": "a", "format": "openai", "baseUrl": "https://b.example" } ] }""", "$.platforms[1].name", "duplicate platform name \"a\" (already used at $.platforms[0])" },
        { Platform(Minimal + """, "models": [ "m", { "name": "x" }, { "name": "m", "alias": "y" } ] """), "$.platforms[0].models[2].name", "duplicate model name \"m\" in platform \"p\" (already used at $.platforms[0].models[0])" },
        { Platform(Minimal + """, "models": [ "m", "m" ] """), "$.platforms[0].models[1]", "duplicate model name \"m\"" },
        { Platform(Minimal + """, "keys": [ { "name": "k", "value": "sk-one-1234567890" }, { "name": "k", "value": "sk-two-1234567890" } ] """), "$.platforms[0].keys[1].name", "duplicate key name \"k\" in platform \"p\" (already used at $.platforms[0].keys[0])" },
        { Platform(Minimal + """, "keys": [ "sk-same-1234567890", { "name": "k", "value": "sk-same-1234567890" } ] """), "$.platforms[0].keys[1]", "duplicate key: the same value as $.platforms[0].keys[0] in platform \"p\"" },
        { Platform(Minimal + """, "name": "q" """), "$.platforms[0].name", "property \"name\" appears more than once" },

        // env: keys.
        { Platform(Minimal + """, "keys": [ "env:MISSING_KEY" ] """), "$.platforms[0].keys[0]", "environment variable MISSING_KEY is not set" },
        { Platform(Minimal + """, "keys": [ "sk-fine-1234567890", { "name": "k", "value": "env:MISSING_KEY" } ] """), "$.platforms[0].keys[1].value", "environment variable MISSING_KEY is not set" },
        { Platform(Minimal + """, "keys": [ "env:EMPTY_KEY" ] """), "$.platforms[0].keys[0]", "environment variable EMPTY_KEY is empty" },
        { Platform(Minimal + """, "keys": [ "env:NEWLINE_KEY" ] """), "$.platforms[0].keys[0]", "environment variable NEWLINE_KEY starts or ends with whitespace" },
        { Platform(Minimal + """, "keys": [ "env:" ] """), "$.platforms[0].keys[0]", "\"env:\" must name an environment variable" },

        // Unknown properties.
        { """{ "platforms": [], "platfroms": [] }""", "$.platfroms", "unknown property \"platfroms\"; expected one of: platforms" },
        { Platform(""" "name": "p", "format": "openai", "baseURL": "https://example.com" """), "$.platforms[0].baseURL", "unknown property \"baseURL\"; did you mean \"baseUrl\"?" },
        { Platform(Minimal + """, "rateLimit": { "rps": 5 } """), "$.platforms[0].rateLimit.rps", "unknown property \"rps\"; expected one of: rpm, tpm" },
        { Platform(Minimal + """, "models": [ { "name": "m", "aliases": [] } ] """), "$.platforms[0].models[0].aliases", "unknown property \"aliases\"" },
        { Platform(Minimal + """, "keys": [ { "secret": "x" } ] """), "$.platforms[0].keys[0].secret", "unknown property \"secret\"; expected one of: name, value, enabled" },
        { """{ "platforms": [], "my key": 1 }""", "$['my key']", "unknown property \"my key\"" },

        // Rate limits.
        { Platform(Minimal + """, "rateLimit": { "rpm": -1 } """), "$.platforms[0].rateLimit.rpm", "must be at least 1, not -1" },
        { Platform(Minimal + """, "rateLimit": { "tpm": -500 } """), "$.platforms[0].rateLimit.tpm", "must be at least 1, not -500" },
        { Platform(Minimal + """, "rateLimit": { "rpm": 0 } """), "$.platforms[0].rateLimit.rpm", "must be at least 1, not 0 (omit it for no limit)" },
        { Platform(Minimal + """, "rateLimit": { "rpm": 1.5 } """), "$.platforms[0].rateLimit.rpm", "must be a whole number, not 1.5" },
        { Platform(Minimal + """, "rateLimit": { "rpm": "500" } """), "$.platforms[0].rateLimit.rpm", "must be a whole number, not a string" },
        { Platform(Minimal + """, "rateLimit": { "tpm": 3000000000 } """), "$.platforms[0].rateLimit.tpm", "must be at most 2147483647, not 3000000000" },
    };

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Parse_InvalidFile_NamesTheFileThePathAndTheProblem(string json, string jsonPath, string problem)
    {
        var environment = Environment(("EMPTY_KEY", ""), ("NEWLINE_KEY", "sk-secret-value\n"));

        var ex = Assert.Throws<PortalConfigException>(() => PortalConfigLoader.Parse(json, File, environment));

        Assert.Equal(File, ex.FilePath);
        Assert.Equal(jsonPath, ex.JsonPath);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
        Assert.Equal($"{File}: {jsonPath}: {ex.Problem}", ex.Message);
        Assert.DoesNotContain("sk-", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_KeepsTheReaderErrorAsInnerException()
    {
        var ex = Assert.Throws<PortalConfigException>(() => PortalConfigLoader.Parse("{", File, NoEnvironment));

        Assert.IsAssignableFrom<System.Text.Json.JsonException>(ex.InnerException);
        Assert.DoesNotContain("LineNumber", ex.Problem, StringComparison.Ordinal);
    }

    internal static string FindExampleFile()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "portal.example.json");
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("portal.example.json not found above " + AppContext.BaseDirectory);
    }
}
