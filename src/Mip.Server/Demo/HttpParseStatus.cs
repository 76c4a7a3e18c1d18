namespace Mip.Server.Demo;

/// <summary>What one <see cref="HttpRequestParser.Parse"/> call produced.</summary>
internal enum HttpParseStatus : byte
{
    /// <summary>All input was consumed and more is needed.</summary>
    NeedMoreData,

    /// <summary>The request head is complete: read <see cref="HttpRequestParser.Head"/>. A body (if any) follows.</summary>
    HeadComplete,

    /// <summary>A piece of the body is in the <c>body</c> output (decoded when chunked).</summary>
    Body,

    /// <summary>The request, body included, is complete. Call <see cref="HttpRequestParser.Reset"/> for the next one.</summary>
    MessageComplete,

    /// <summary>The request is malformed: answer <see cref="HttpRequestParser.ErrorStatusCode"/> and close.</summary>
    Error,
}
