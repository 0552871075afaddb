namespace Portal.Server.Operations;

/// <summary>Graceful shutdown, bound from <c>Portal:Shutdown</c>.</summary>
public sealed class ShutdownOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Shutdown";

    /// <summary>
    /// How long in-flight requests and streams may run after a stop signal (SIGTERM, Ctrl+C) before they are cancelled;
    /// queued stats and health are written after that.
    /// </summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    internal IEnumerable<string> Validate()
    {
        if (Timeout < TimeSpan.Zero || Timeout > TimeSpan.FromHours(1))
        {
            yield return $"{SectionName}:Timeout must be between 00:00:00 and 01:00:00 (it is {Timeout}).";
        }
    }
}
