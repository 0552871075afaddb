using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Portal.Server.Tests.Infrastructure;

/// <summary>Sends requests over a socket exactly as written, and parses raw HTTP/1.1 responses.</summary>
public static class RawHttp
{
    /// <summary>
    /// Sends a request with the path and header lines exactly as given (HttpClient would normalise dots and encodings in
    /// the path, and refuse malformed headers), with <c>Connection: close</c>, and reads the whole response.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(GatewayHost host, string method, string path, params string[] headerLines)
    {
        using var socket = new TcpClient();
        var uri = new Uri(host.BaseUrl);
        await socket.ConnectAsync(uri.Host, uri.Port);
        await using var stream = socket.GetStream();
        var request = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: close\r\nContent-Length: 0\r\n");
        foreach (var line in headerLines)
        {
            request.Append(line).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.Latin1.GetBytes(request.Append("\r\n").ToString()));
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return Parse(memory.ToArray(), method == "HEAD");
    }

    public static HttpResponseMessage Parse(byte[] raw, bool headOnly)
    {
        // One char per byte, so chunk sizes (in bytes) hold; the body is decoded as UTF-8 once dechunked.
        var text = Encoding.Latin1.GetString(raw);
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

        body = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(body));

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
