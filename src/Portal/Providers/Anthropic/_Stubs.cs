#pragma warning disable
namespace Portal.Providers.Anthropic
{
    internal static class AnthropicInbound
    {
        public static Portal.Contracts.ChatCompletionRequest ToChat(System.ReadOnlySpan<byte> json) => throw null!;
        public static byte[] FromChatResponse(Portal.Contracts.ChatCompletionResponse r, string model) => throw null!;
    }
    internal sealed class AnthropicEventEncoder
    {
        public AnthropicEventEncoder(string model) { }
        public void Add(Portal.Contracts.ChatCompletionChunk c, System.Buffers.IBufferWriter<byte> o) { }
        public void Complete(System.Buffers.IBufferWriter<byte> o) { }
    }
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
namespace Portal.Tokens
{
    internal static class TokenEstimator { public static int EstimateAnthropicRequest(System.ReadOnlySpan<byte> j) => 0; }
}
