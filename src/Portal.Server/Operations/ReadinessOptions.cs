namespace Portal.Server.Operations;

/// <summary>When <c>/readyz</c> reports the server not ready, bound from <c>Portal:Readiness</c>.</summary>
public sealed class ReadinessOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Readiness";

    /// <summary>How long storage may fail the background probe before <c>/readyz</c> answers 503.</summary>
    /// <remarks>Requests keep being served from the configuration cache meanwhile; readiness only steers new traffic elsewhere.</remarks>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan StorageUnavailableAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the background probe checks storage.</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    internal IEnumerable<string> Validate()
    {
        if (StorageUnavailableAfter <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:StorageUnavailableAfter must be positive (it is {StorageUnavailableAfter}).";
        }

        if (ProbeInterval <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:ProbeInterval must be positive (it is {ProbeInterval}).";
        }
    }
}
