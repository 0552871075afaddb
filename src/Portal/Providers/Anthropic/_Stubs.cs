#pragma warning disable
namespace Portal.Providers.Anthropic
{
    internal static class AnthropicOutbound
    {
        public static byte[] ToAnthropic(Portal.Contracts.ChatCompletionRequest r, string m, bool stream, int d) => throw null!;
        public static Portal.Contracts.ChatCompletionResponse FromAnthropic(System.ReadOnlySpan<byte> j, long created) => throw null!;
    }
    internal sealed class AnthropicOutboundStream
    {
        public AnthropicOutboundStream(long created) { }
        public bool Finished => false;
        public Portal.Contracts.ChatCompletionChunk? Read(string? t, System.ReadOnlySpan<byte> d) => null;
    }
}
