namespace Portal.Storage.Configuration;

/// <summary>A configuration file is invalid; the message names the file, the JSON path and the problem.</summary>
/// <remarks>The message never contains a key value.</remarks>
public sealed class PortalConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file, as given to the loader.</param>
    /// <param name="jsonPath">Where in the file, for example <c>$.platforms[1].keys[0]</c>.</param>
    /// <param name="problem">What is wrong, for example <c>environment variable OPENAI_API_KEY is not set</c>.</param>
    /// <param name="innerException">The underlying error, when there is one.</param>
    public PortalConfigException(string filePath, string jsonPath, string problem, Exception? innerException = null)
        : base($"{filePath}: {jsonPath}: {problem}", innerException)
    {
        FilePath = filePath;
        JsonPath = jsonPath;
        Problem = problem;
    }

    /// <summary>The file, as given to the loader.</summary>
    public string FilePath { get; }

    /// <summary>Where in the file the problem is, as a JSON path such as <c>$.platforms[1].keys[0]</c>; <c>$</c> for the whole file.</summary>
    public string JsonPath { get; }

    /// <summary>What is wrong, without the file and path.</summary>
    public string Problem { get; }
}
