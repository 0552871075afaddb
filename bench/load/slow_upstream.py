#!/usr/bin/env python3
"""A slow OpenAI-compatible streaming upstream for Portal's concurrency soak (bench/load/soak.sh). Stdlib only.

    slow_upstream.py --port 9000 [--seconds 30] [--interval-ms 100] [--host 127.0.0.1]

POST */chat/completions answers every request as a server-sent event stream (chunked HTTP/1.1, keep-alive) in
OpenAI's chunk format, paced: one content chunk every --interval-ms for --seconds (the first one at once, with the
assistant role), so seconds*1000/interval-ms content chunks; then a chunk with finish_reason "stop", a usage chunk
(only when the request asked for stream_options.include_usage, as OpenAI does), and data: [DONE].
Chunks are scheduled on absolute times (no drift from slow writes). The request body must be JSON (its "model" is
echoed). GET /stats returns counters as JSON: requests, active, completed, aborted (client left), errors.
Prints "ready <port>" on stdout once listening. Stops on SIGTERM/SIGINT.
"""
import argparse
import asyncio
import json
import signal
import sys
import time

from http_headers import read_headers

STATS = {"requests": 0, "active": 0, "completed": 0, "aborted": 0, "errors": 0, "max_active": 0}


async def read_request(reader):
    """Returns (method, path, headers, body) or None at a clean end of the connection."""
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise ValueError(f"bad request line {line!r}")
    method, path, _ = parts
    headers = await read_headers(reader)
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(chunks)
    return method, path, headers, body


def chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def event(obj) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


async def stream(writer, model, include_usage, args):
    created = int(time.time())
    sid = f"chatcmpl-soak-{STATS['requests']}"
    count = max(1, round(args.seconds * 1000 / args.interval_ms))
    interval = args.interval_ms / 1000.0
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    loop = asyncio.get_running_loop()
    start = loop.time()
    base = {"id": sid, "object": "chat.completion.chunk", "created": created, "model": model}
    for i in range(count):
        if i:
            delay = start + i * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        delta = {"role": "assistant", "content": "tok0 "} if i == 0 else {"content": f"tok{i} "}
        writer.write(chunk(event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})))
        await writer.drain()
    delay = start + count * interval - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)
    tail = event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if include_usage:
        tail += event({**base, "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": count, "total_tokens": 10 + count}})
    tail += b"data: [DONE]\n\n"
    writer.write(chunk(tail) + b"0\r\n\r\n")
    await writer.drain()


async def handle(reader, writer, args):
    try:
        while True:
            req = await read_request(reader)
            if req is None:
                return
            method, path, headers, body = req
            if method == "GET" and path == "/stats":
                payload = json.dumps(STATS).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload))
                await writer.drain()
                continue
            if method != "POST" or not path.endswith("/chat/completions"):
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                continue
            try:
                data = json.loads(body)
                model = str(data.get("model", "unknown"))
                include_usage = bool((data.get("stream_options") or {}).get("include_usage"))
            except (ValueError, AttributeError):
                STATS["errors"] += 1
                msg = b'{"error":{"message":"bad JSON","type":"invalid_request_error"}}'
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg))
                await writer.drain()
                continue
            STATS["requests"] += 1
            STATS["active"] += 1
            STATS["max_active"] = max(STATS["max_active"], STATS["active"])
            try:
                await stream(writer, model, include_usage, args)
                STATS["completed"] += 1
            except (ConnectionError, asyncio.CancelledError):
                STATS["aborted"] += 1
                raise
            finally:
                STATS["active"] -= 1
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    except asyncio.CancelledError:
        pass
    except Exception as exc:  # keep serving the others; count it
        STATS["errors"] += 1
        print(f"slow_upstream: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval-ms", type=float, default=100)
    args = parser.parse_args()
    if args.seconds <= 0 or args.interval_ms <= 0:
        parser.error("--seconds and --interval-ms must be positive")

    server = await asyncio.start_server(lambda r, w: handle(r, w, args), args.host, args.port, backlog=4096)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"ready {args.port}", flush=True)
    async with server:
        await stop.wait()
    print(f"slow_upstream: stopping; {json.dumps(STATS)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
