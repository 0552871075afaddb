namespace Portal.Server.Hosting;

/// <summary>Request limits of the HTTP server, bound from <c>Portal:Limits</c>.</summary>
public sealed class LimitsOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Limits";

    /// <summary>The largest request body accepted, in bytes; a larger one is answered with 413.</summary>
    /// <value>The default is 10,485,760 (10 MiB).</value>
    public long MaxRequestBodyBytes { get; set; } = 10L * 1024 * 1024;

    internal IEnumerable<string> Validate()
    {
        // The body is read into one array, so the limit must fit one.
        if (MaxRequestBodyBytes < 1 || MaxRequestBodyBytes > Array.MaxLength)
        {
            yield return $"{SectionName}:MaxRequestBodyBytes must be between 1 and {Array.MaxLength} (it is {MaxRequestBodyBytes}).";
        }
    }
}
