using System.Text;
using Mip.Server.Demo;

namespace Mip.Server.Tests.Demo;

/// <summary>What feeding a parser a sequence of input pieces produced: the head, the decoded body, the outcome.</summary>
internal sealed class ParseRun
{
    public HttpRequestHead? Head { get; private set; }
    public List<byte> Body { get; } = [];
    public bool Complete { get; private set; }
    public int ErrorStatus { get; private set; }

    /// <summary>Bytes of the input left after the message completed (the next pipelined request).</summary>
    public int Leftover { get; private set; }

    public string BodyText => Encoding.ASCII.GetString([.. Body]);

    /// <summary>Feeds <paramref name="pieces"/> in order, as a connection would deliver them, until the message ends.</summary>
    public static ParseRun Feed(HttpRequestParser parser, IEnumerable<byte[]> pieces)
    {
        var run = new ParseRun();
        int leftover = 0;
        foreach (var piece in pieces)
        {
            if (run.Complete || run.ErrorStatus != 0)
            {
                leftover += piece.Length;
                continue;
            }
            int offset = 0;
            while (true)
            {
                var status = parser.Parse(piece.AsSpan(offset), out int consumed, out var body);
                Assert.InRange(consumed, 0, piece.Length - offset);
                offset += consumed;
                if (status == HttpParseStatus.HeadComplete)
                {
                    Assert.Null(run.Head);
                    run.Head = parser.Head;
                }
                else if (status == HttpParseStatus.Body)
                {
                    Assert.NotNull(run.Head);
                    Assert.False(body.IsEmpty);
                    run.Body.AddRange(body.ToArray());
                }
                else if (status == HttpParseStatus.MessageComplete)
                {
                    run.Complete = true;
                    leftover += piece.Length - offset;
                    break;
                }
                else if (status == HttpParseStatus.Error)
                {
                    run.ErrorStatus = parser.ErrorStatusCode;
                    Assert.False(string.IsNullOrEmpty(parser.ErrorMessage));
                    break;
                }
                else
                {
                    Assert.Equal(piece.Length, offset); // NeedMoreData only once everything was taken
                    break;
                }
            }
        }
        run.Leftover = leftover;
        return run;
    }

    public static ParseRun Whole(string request) => Feed(new HttpRequestParser(), [Encoding.ASCII.GetBytes(request)]);
}
