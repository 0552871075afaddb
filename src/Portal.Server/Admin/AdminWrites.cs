namespace Portal.Server.Admin;

/// <summary>Runs a repository write, turning its exceptions into admin errors.</summary>
internal static class AdminWrites
{
    /// <summary>
    /// The request's fields were validated before, so what remains is what only the database knows: a name taken
    /// (409), a row deleted meanwhile (404).
    /// </summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> write, string conflictParam)
    {
        try
        {
            return await write().ConfigureAwait(false);
        }
        catch (KeyNotFoundException ex)
        {
            throw AdminException.NotFound(ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw AdminException.BadRequest(conflictParam, ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            throw AdminException.Conflict(ex.Message, AdminErrorCodes.Conflict, conflictParam);
        }
    }
}
