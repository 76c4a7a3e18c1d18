#!/usr/bin/env python3
"""Kernel-side TCP peer for the end-to-end tests: a seeded source and a hashing sink on one socket, plus the small
behaviours the tests need (answer after EOF, many connections, wait for a reset). Prints one JSON line of results;
prints "listening" (flushed) once a listening socket is bound, so a test can wait for it instead of sleeping."""
import argparse, hashlib, json, random, socket, sys, threading

CHUNK = 64 * 1024


def stream(sock, send_bytes, seed):
    """Sends send_bytes of a seeded pattern, then FIN; meanwhile reads to EOF. Returns counts and SHA-256s."""
    result = {}

    def sender():
        rng, h, left = random.Random(seed), hashlib.sha256(), send_bytes
        while left > 0:
            block = rng.randbytes(min(CHUNK, left))
            sock.sendall(block)
            h.update(block)
            left -= len(block)
        sock.shutdown(socket.SHUT_WR)
        result["sent"], result["sent_sha256"] = send_bytes, h.hexdigest()

    t = threading.Thread(target=sender)
    t.start()
    h, received = hashlib.sha256(), 0
    while True:
        block = sock.recv(1 << 20)
        if not block:
            break
        h.update(block)
        received += len(block)
    t.join()
    result["received"], result["received_sha256"] = received, h.hexdigest()
    return result


def source(sock, send_bytes):
    """Sends send_bytes of zeros from one buffer, then FIN, and waits for the peer's FIN: a sender cheap enough that
    a throughput figure measures the stack, not Python (benchmarks; no hashing)."""
    view, left = memoryview(bytes(1 << 20)), send_bytes
    while left > 0:
        k = min(left, len(view))
        sock.sendall(view[:k])
        left -= k
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(65536):
        pass
    return {"sent": send_bytes}


def sink(sock):
    """Counts bytes to EOF into one reused buffer (benchmarks; no hashing)."""
    buf, received = bytearray(1 << 20), 0
    while True:
        k = sock.recv_into(buf)
        if not k:
            break
        received += k
    return {"received": received}


def echo(sock):
    """Sends back what arrives until the peer's FIN, then FIN. One thread, blocking sendall: safe because the peer
    reads while it writes. (socat's PIPE echo is not: with a full pipe it blocks in write(2) and stops reading.)"""
    buf, echoed = bytearray(1 << 16), 0
    while True:
        k = sock.recv_into(buf)
        if not k:
            break
        sock.sendall(memoryview(buf)[:k])
        echoed += k
    sock.shutdown(socket.SHUT_WR)
    return {"echoed": echoed}


def accept_one(args):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.bind, args.port))
    server.listen(128)
    print("listening", flush=True)
    server.settimeout(args.timeout)
    conn, _ = server.accept()
    conn.settimeout(args.timeout)
    return conn


def connect(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.settimeout(args.timeout)
    return sock


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["serve-stream", "connect-stream", "serve-source", "connect-source", "serve-sink", "serve-echo", "serve-reply-after-eof", "connect-many", "connect-hold"])
    p.add_argument("--host", default="")
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--send", type=int, default=0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120)
    a = p.parse_args()

    if a.mode == "serve-stream":
        print(json.dumps(stream(accept_one(a), a.send, a.seed)), flush=True)
    elif a.mode == "connect-stream":
        print(json.dumps(stream(connect(a), a.send, a.seed)), flush=True)
    elif a.mode == "serve-source":
        print(json.dumps(source(accept_one(a), a.send)), flush=True)
    elif a.mode == "connect-source":
        print(json.dumps(source(connect(a), a.send)), flush=True)
    elif a.mode == "serve-sink":
        print(json.dumps(sink(accept_one(a))), flush=True)
    elif a.mode == "serve-echo":
        print(json.dumps(echo(accept_one(a))), flush=True)
    elif a.mode == "serve-reply-after-eof":
        # Reads until the peer's FIN (its half-close), then answers on the still-open other half and closes.
        conn, data = accept_one(a), b""
        while True:
            block = conn.recv(65536)
            if not block:
                break
            data += block
        conn.sendall(b"got %d bytes: %s" % (len(data), data.upper()))
        conn.close()
        print(json.dumps({"received": len(data)}), flush=True)
    elif a.mode == "connect-many":
        # count connections open at once; each sends its own bytes, half-closes, and must read them back echoed.
        socks = [connect(a) for _ in range(a.count)]
        ok, failures = 0, []
        payloads = [random.Random(a.seed + i).randbytes(a.send) for i in range(a.count)]
        for s, data in zip(socks, payloads):
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        for i, (s, data) in enumerate(zip(socks, payloads)):
            back = b""
            while True:
                block = s.recv(65536)
                if not block:
                    break
                back += block
            if back == data:
                ok += 1
            else:
                failures.append(i)
            s.close()
        print(json.dumps({"open_at_once": len(socks), "ok": ok, "failed": failures}), flush=True)
    elif a.mode == "connect-hold":
        sock = connect(a)
        print("connected", flush=True)
        try:
            data = sock.recv(65536)
            print(json.dumps({"outcome": "eof" if not data else "data"}), flush=True)
        except ConnectionResetError as e:
            print(json.dumps({"outcome": "reset", "error": str(e)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
