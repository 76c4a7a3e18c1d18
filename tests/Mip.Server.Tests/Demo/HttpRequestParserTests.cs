using System.Text;
using Mip.Server.Demo;

namespace Mip.Server.Tests.Demo;

public sealed class HttpRequestParserTests
{
    private const string CurlGet = "GET /bytes/1000 HTTP/1.1\r\nHost: 192.168.2.10\r\nUser-Agent: curl/8.14.1\r\nAccept: */*\r\n\r\n";

    private const string CurlPost =
        "POST /sink HTTP/1.1\r\nHost: 192.168.2.10\r\nUser-Agent: curl/8.14.1\r\nAccept: */*\r\n" +
        "Content-Length: 11\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nhello world";

    private const string ChunkedPost =
        "POST /sink HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n0\r\nX-Checksum: abc\r\n\r\n";

    [Fact]
    public void A_curl_GET_is_one_head_without_body_and_keeps_the_connection()
    {
        var run = ParseRun.Whole(CurlGet);
        Assert.True(run.Complete);
        var head = run.Head!;
        Assert.Equal("GET", head.Method);
        Assert.Equal("/bytes/1000", head.Target);
        Assert.Equal(1, head.MinorVersion);
        Assert.True(head.KeepAlive);
        Assert.False(head.HasBody);
        Assert.Null(head.ContentLength);
        Assert.Empty(run.Body);
        Assert.Equal(0, run.Leftover);
    }

    [Fact]
    public void Content_length_body_is_delivered_exactly()
    {
        var run = ParseRun.Whole(CurlPost);
        Assert.True(run.Complete);
        Assert.Equal(11, run.Head!.ContentLength);
        Assert.Equal("hello world", run.BodyText);
    }

    [Fact]
    public void Chunked_body_is_decoded_with_extensions_and_trailers_skipped()
    {
        var run = ParseRun.Whole(ChunkedPost);
        Assert.True(run.Complete);
        Assert.True(run.Head!.Chunked);
        Assert.Equal("hello 0123456789", run.BodyText);
        Assert.Equal(0, run.Leftover);
    }

    public static TheoryData<string> SplitCases => new() { CurlGet, CurlPost, ChunkedPost };

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void Every_split_point_gives_the_same_result_as_the_whole(string request)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(request);
        var whole = ParseRun.Whole(request);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var run = ParseRun.Feed(new HttpRequestParser(), [bytes[..split], bytes[split..]]);
            Assert.True(run.Complete, $"split at {split}");
            Assert.Equal(whole.Head, run.Head);
            Assert.Equal(whole.Body, run.Body);
        }
        // And one byte at a time, the worst a TCP stream can do.
        var bytewise = ParseRun.Feed(new HttpRequestParser(), bytes.Select(b => new[] { b }));
        Assert.True(bytewise.Complete);
        Assert.Equal(whole.Head, bytewise.Head);
        Assert.Equal(whole.Body, bytewise.Body);
    }

    [Fact]
    public void Pipelined_requests_are_parsed_one_after_another_after_reset()
    {
        byte[] both = Encoding.ASCII.GetBytes(CurlPost + CurlGet);
        var parser = new HttpRequestParser();
        var first = ParseRun.Feed(parser, [both]);
        Assert.True(first.Complete);
        Assert.Equal("hello world", first.BodyText);
        Assert.Equal(CurlGet.Length, first.Leftover);

        parser.Reset();
        Assert.True(parser.IsIdle);
        var second = ParseRun.Feed(parser, [both[^first.Leftover..]]);
        Assert.True(second.Complete);
        Assert.Equal("/bytes/1000", second.Head!.Target);
    }

    [Fact]
    public void Empty_lines_before_the_request_line_are_ignored()
    {
        var run = ParseRun.Whole("\r\n\r\n" + CurlGet);
        Assert.True(run.Complete);
        Assert.Equal("GET", run.Head!.Method);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true)]
    public void Persistence_follows_the_version_and_connection_header(string request, bool keepAlive)
    {
        var run = ParseRun.Whole(request);
        Assert.True(run.Complete);
        Assert.Equal(keepAlive, run.Head!.KeepAlive);
    }

    [Fact]
    public void Expect_100_continue_is_reported_for_HTTP_1_1_only()
    {
        Assert.True(ParseRun.Whole("PUT /sink HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n").Head!.ExpectContinue);
        Assert.False(ParseRun.Whole("PUT /sink HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n").Head!.ExpectContinue);
    }

    [Fact]
    public void Absolute_form_targets_are_reduced_to_their_path()
    {
        Assert.Equal("/bytes/5", ParseRun.Whole("GET http://192.168.2.10/bytes/5 HTTP/1.1\r\nHost: x\r\n\r\n").Head!.Target);
        Assert.Equal("/", ParseRun.Whole("GET http://192.168.2.10 HTTP/1.1\r\nHost: x\r\n\r\n").Head!.Target);
    }

    [Fact]
    public void Identical_content_length_values_are_one_length()
    {
        var run = ParseRun.Whole("POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc");
        Assert.True(run.Complete);
        Assert.Equal("abc", run.BodyText);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)]                                                         // no Host
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)]                                   // two Hosts
    [InlineData("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400)]                                             // space before colon
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  continued\r\n\r\n", 400)]                     // obs-fold
    [InlineData("GET / HTTP/1.1\rHost: h\r\n\r\n", 400)]                                                // bare CR
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u0001b\r\n\r\n", 400)]                             // control character
    [InlineData("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400)]                                           // space in the target
    [InlineData("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]                                             // double space
    [InlineData("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", 400)]                                       // not origin-form
    [InlineData("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]                                              // method not a token
    [InlineData("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505)]
    [InlineData("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / http/1.1\r\nHost: h\r\n\r\n", 400)]                                              // version is case-sensitive
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501)]
    [InlineData("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n", 417)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n", 400)]        // not hex
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400)]         // empty size
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400)] // data longer than size
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n", 400)]   // LF without CR
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 400)]
    public void Malformed_requests_get_the_right_status(string request, int status)
    {
        var run = ParseRun.Whole(request);
        Assert.False(run.Complete);
        Assert.Equal(status, run.ErrorStatus);
    }

    [Fact]
    public void A_head_larger_than_the_limit_gets_431_without_growing_memory()
    {
        var parser = new HttpRequestParser(maxHeadBytes: 256);
        string request = "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + new string('a', 300) + "\r\n\r\n";
        var run = ParseRun.Feed(parser, [Encoding.ASCII.GetBytes(request)]);
        Assert.Equal(431, run.ErrorStatus);
        // Once failed, the parser stays failed until reset.
        Assert.Equal(HttpParseStatus.Error, parser.Parse("GET / HTTP/1.1\r\n"u8, out int consumed, out _));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void A_large_content_length_is_streamed_in_the_pieces_it_arrives_in()
    {
        var parser = new HttpRequestParser();
        var head = Encoding.ASCII.GetBytes("POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 10737418240\r\n\r\n");
        Assert.Equal(HttpParseStatus.HeadComplete, parser.Parse(head, out int consumed, out _));
        Assert.Equal(head.Length, consumed);
        Assert.Equal(10L << 30, parser.Head!.ContentLength);
        var piece = new byte[65536];
        Assert.Equal(HttpParseStatus.Body, parser.Parse(piece, out consumed, out var body));
        Assert.Equal(piece.Length, consumed);
        Assert.Equal(piece.Length, body.Length);
        Assert.Equal((10L << 30) - piece.Length, parser.RemainingContentLength);
    }
}
