using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dns;

// Accepting and interpreting responses.
public sealed partial class DnsResolver
{
    /// <summary>Answer records examined per response; a 512-byte message holds at most about 30 A records.</summary>
    private const int MaxAnswerRecords = 64;

    /// <summary>
    /// A UDP datagram that arrived on <paramref name="localPort"/> (one <see cref="OwnsPort"/> said yes to) from
    /// <paramref name="source"/>. It is accepted only if it is a response whose ID, source address and port (the
    /// server asked, port 53), destination port and question all match a query sent (RFC 5452 §9.1); anything else
    /// is counted and dropped. Never throws on bad bytes.
    /// </summary>
    internal void OnDatagram(ReadOnlySpan<byte> payload, Ipv4Endpoint source, ushort localPort, Instant now)
    {
        if (!_byPort.TryGetValue(localPort, out var query))
        {
            Counters.RejectedUnknownPort++;
            return;
        }
        if (!DnsPacket.TryCreate(payload, out var packet) || !packet.IsResponse || packet.Opcode != DnsOpcode.Query)
        {
            Counters.RejectedMalformed++;
            return;
        }
        int attemptIndex = query.FindAttempt(localPort);
        var attempt = query.Attempts[attemptIndex];
        if (packet.Id != attempt.Id)
        {
            Counters.RejectedBadId++;
            return;
        }
        if (source != new Ipv4Endpoint(attempt.Server, ServerPort))
        {
            Counters.RejectedWrongSource++;
            return;
        }
        Span<byte> readerNames = stackalloc byte[DnsName.MaxLength];
        var reader = packet.GetReader(readerNames);
        if (packet.QuestionCount != 1)
        {
            Counters.RejectedQuestionMismatch++;
            return;
        }
        if (!reader.TryReadQuestion(out var question))
        {
            Counters.RejectedMalformed++;
            return;
        }
        if (question.Type != DnsRecordType.A || question.Class != (ushort)DnsClass.Internet
            || !DnsName.EqualsIgnoreCase(question.Name, query.WireName))
        {
            Counters.RejectedQuestionMismatch++;
            return;
        }

        switch (packet.ResponseCode)
        {
            case DnsResponseCode.NoError:
            case DnsResponseCode.NameError:
                ProcessAnswer(query, packet, ref reader, attempt.Server, now);
                break;
            default:
                // SERVFAIL, REFUSED, NOTIMP, FORMERR: this server cannot help; ask the next one now rather than
                // wait for the timeout (RFC 1034 §5.3.3 step 4, RFC 1035 §7.3). A late failure from an earlier
                // attempt only counts against the query: the current attempt may still succeed.
                query.SawServerFailure = true;
                if (attemptIndex == query.AttemptsMade - 1)
                {
                    Advance(query, now);
                }
                break;
        }
    }

    private void ProcessAnswer(DnsPendingQuery query, DnsPacket packet, ref DnsReader reader, Ipv4Address server, Instant now)
    {
        var message = packet.Buffer;
        Span<byte> nameBuffer = stackalloc byte[DnsName.MaxLength];
        Span<AnswerRef> answers = stackalloc AnswerRef[MaxAnswerRecords];
        int count = 0;
        bool complete = true;
        for (int i = 0; i < packet.AnswerCount; i++)
        {
            int nameOffset = reader.Offset;
            if (!reader.TryReadRecord(out var record))
            {
                complete = false;
                break;
            }
            // Only A and CNAME of class IN matter to an A query; anything else (AAAA, RRSIG, ...) is skipped
            // by its RDLENGTH.
            if (count < MaxAnswerRecords && record.Class == (ushort)DnsClass.Internet
                && record.Type is DnsRecordType.A or DnsRecordType.Cname)
            {
                answers[count++] = new AnswerRef(nameOffset, record.Type, record.TtlSeconds, record.DataOffset, record.Data.Length);
            }
        }
        // RFC 2181 §9: with TC set the message was cut short, so what follows the last whole record is missing.
        // Without TC a short message is simply broken: ignore it and let the attempt time out.
        if (!complete && !packet.IsTruncated)
        {
            Counters.RejectedMalformed++;
            return;
        }

        // Follow the CNAME chain from the query name (RFC 1034 §3.6.2, §5.2.2): the server puts the chain and the
        // final name's records in the answer section.
        Span<byte> current = stackalloc byte[DnsName.MaxLength];
        query.WireName.CopyTo(current);
        int currentLength = query.WireName.Length;
        uint ttl = uint.MaxValue;
        int depth = 0;
        while (FindRecord(message, answers[..count], DnsRecordType.Cname, current[..currentLength], nameBuffer, 0) is int i and >= 0)
        {
            if (depth == _options.MaxCnameChain)
            {
                var failure = DnsResult.Failed(DnsResolveStatus.ServerFailure, query.Key,
                    $"the CNAME chain is longer than {_options.MaxCnameChain} or loops");
                Complete(query, failure with { Server = server });
                return;
            }
            var cname = answers[i];
            if (!DnsName.TryRead(message, cname.DataOffset, nameBuffer, out int targetLength, out int end)
                || end != cname.DataOffset + cname.DataLength)
            {
                Counters.RejectedMalformed++;
                return;
            }
            nameBuffer[..targetLength].CopyTo(current);
            currentLength = targetLength;
            ttl = Math.Min(ttl, cname.Ttl);
            depth++;
        }

        var addresses = new List<Ipv4Address>();
        int from = 0;
        while (FindRecord(message, answers[..count], DnsRecordType.A, current[..currentLength], nameBuffer, from) is int a and >= 0)
        {
            var record = answers[a];
            if (record.DataLength == Ipv4Address.Length)
            {
                addresses.Add(Ipv4Address.Read(message[record.DataOffset..]));
                ttl = Math.Min(ttl, record.Ttl);
            }
            from = a + 1;
        }

        string canonical = DnsName.ToText(current[..currentLength]);
        if (addresses.Count > 0 && packet.ResponseCode == DnsResponseCode.NoError)
        {
            var positiveTtl = Clamp(TimeSpan.FromSeconds(ttl), _options.MinTtl, _options.MaxTtl);
            var result = new DnsResult(DnsResolveStatus.Success, query.Key, canonical, addresses.ToArray(), positiveTtl, server);
            // RFC 2181 §9: data from a truncated message is used but never cached.
            if (!packet.IsTruncated)
            {
                _cache.Add(query.Key, result, positiveTtl, now);
            }
            Complete(query, result);
            return;
        }
        if (packet.ResponseCode == DnsResponseCode.NoError && packet.IsTruncated)
        {
            // A stub would retry over TCP here (RFC 7766 §5); this stack has no TCP client yet, so report it.
            Complete(query, new DnsResult(DnsResolveStatus.Truncated, query.Key, canonical, [], TimeSpan.Zero, server)
            {
                Detail = "the answer was truncated and DNS over TCP is not supported",
            });
            return;
        }

        // NXDOMAIN or NODATA. The name (or the end of its chain) has no A record; RFC 2308 §5 caches that for
        // min(SOA TTL, SOA MINIMUM) from the authority section, and not at all without an SOA.
        var status = packet.ResponseCode == DnsResponseCode.NameError ? DnsResolveStatus.NameNotFound : DnsResolveStatus.NoData;
        var negativeTtl = TimeSpan.Zero;
        if (complete && TryReadNegativeTtl(message, ref reader, packet.AuthorityCount, out uint soaTtl))
        {
            negativeTtl = Clamp(TimeSpan.FromSeconds(Math.Min(soaTtl, ttl)), TimeSpan.Zero, _options.MaxNegativeTtl);
        }
        var negative = new DnsResult(status, query.Key, canonical, [], negativeTtl, server);
        if (!packet.IsTruncated)
        {
            _cache.Add(query.Key, negative, negativeTtl, now);
        }
        Complete(query, negative);
    }

    /// <summary>Index of the first record at or after <paramref name="from"/> of <paramref name="type"/> owned by <paramref name="owner"/>.</summary>
    private static int FindRecord(ReadOnlySpan<byte> message, ReadOnlySpan<AnswerRef> answers, DnsRecordType type,
        ReadOnlySpan<byte> owner, Span<byte> scratch, int from)
    {
        for (int i = from; i < answers.Length; i++)
        {
            // The owner name already decompressed once while reading, so this cannot fail.
            if (answers[i].Type == type
                && DnsName.TryRead(message, answers[i].NameOffset, scratch, out int length, out _)
                && DnsName.EqualsIgnoreCase(scratch[..length], owner))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The negative-caching TTL from the first SOA of the authority section (RFC 2308 §5).</summary>
    private static bool TryReadNegativeTtl(ReadOnlySpan<byte> message, ref DnsReader reader, int authorityCount, out uint ttl)
    {
        ttl = 0;
        for (int i = 0; i < authorityCount; i++)
        {
            if (!reader.TryReadRecord(out var record))
            {
                return false;
            }
            if (record.Type == DnsRecordType.Soa && record.TryGetSoaMinimum(message, out uint minimum))
            {
                ttl = Math.Min(record.TtlSeconds, minimum);
                return true;
            }
        }
        return false;
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min ? min : value > max ? max : value;

    /// <summary>Where an answer record sits in the message, so it can be revisited while following the chain.</summary>
    private readonly record struct AnswerRef(int NameOffset, DnsRecordType Type, uint Ttl, int DataOffset, int DataLength);
}
