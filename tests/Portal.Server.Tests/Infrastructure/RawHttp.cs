using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Portal.Server.Tests.Infrastructure;

/// <summary>Parses a raw HTTP/1.1 response (for requests sent over a socket with paths HttpClient would normalise).</summary>
public static class RawHttp
{
    public static HttpResponseMessage Parse(byte[] raw, bool headOnly)
    {
        var text = Encoding.UTF8.GetString(raw);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, "No complete HTTP response: " + text);
        var lines = text[..split].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = lines.Skip(1).Select(l => (Name: l[..l.IndexOf(':')], Value: l[(l.IndexOf(':') + 1)..].Trim())).ToList();
        var body = text[(split + 4)..];
        if (headers.Any(h => h.Name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            body = Dechunk(body);
        }

        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(headOnly ? "" : body) };
        response.Content.Headers.Clear();
        foreach (var (name, value) in headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                response.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (response.Content.Headers.ContentType is null && !headOnly && body.Length > 0)
        {
            response.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        }

        return response;
    }

    private static string Dechunk(string body)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < body.Length)
        {
            var end = body.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[position..end].Split(';')[0], 16);
            if (size == 0)
            {
                break;
            }

            result.Append(body, end + 2, size);
            position = end + 2 + size + 2;
        }

        return result.ToString();
    }
}
