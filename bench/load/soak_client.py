#!/usr/bin/env python3
"""The client of Portal's concurrency soak (bench/load/soak.sh): N concurrent streaming chat completions. Stdlib only.

    soak_client.py --port 8080 --streams 1000 --expect-chunks 300 [--model slow] [--pid GATEWAY_PID]
                   [--timeout 120] [--sample-ms 200] [--json-out FILE]

Opens all N connections at once (raw asyncio sockets, one HTTP/1.1 request each, Connection: close), sends
{"model":..., "stream": true, ...} to POST /v1/chat/completions, and reads every response to its end, parsing the
server-sent events: content chunks, the finish_reason chunk, usage chunks, error events and data: [DONE].
A stream passes when it got status 200, text/event-stream, exactly --expect-chunks content chunks, one finish chunk
"stop", no error event, and [DONE] as the last event. With --pid it samples that process's VmRSS every --sample-ms
(the peak and the series go into the summary). Prints a human summary and one "SOAK_RESULT {json}" line; exit status 0
only when every stream passed.
"""
import argparse
import asyncio
import json
import statistics
import sys
import time

from http_headers import read_headers


class StreamResult:
    __slots__ = ("ok", "status", "content", "finish", "usage", "errors", "done", "after_done", "ttfb", "duration", "problem", "other")

    def __init__(self):
        self.ok = False
        self.status = None
        self.content = 0
        self.finish = 0
        self.usage = 0
        self.errors = 0
        self.done = False
        self.after_done = 0
        self.other = 0
        self.ttfb = None
        self.duration = None
        self.problem = ""


def classify(data: bytes, r: StreamResult):
    if r.done:
        r.after_done += 1
    if data == b"[DONE]":
        r.done = True
        return
    # Fast paths for the compact form slow_upstream.py writes (and Portal relays byte for byte).
    if b'"finish_reason":null' in data:
        r.content += 1
        return
    if b'"finish_reason":"stop"' in data:
        r.finish += 1
        return
    try:
        obj = json.loads(data)
    except ValueError:
        r.other += 1
        return
    if "error" in obj:
        r.errors += 1
        if not r.problem:
            r.problem = "error event: " + json.dumps(obj["error"])[:200]
        return
    if obj.get("usage") and not obj.get("choices"):
        r.usage += 1
        return
    choices = obj.get("choices") or []
    if choices and choices[0].get("finish_reason"):
        r.finish += 1
    elif choices:
        r.content += 1
    else:
        r.other += 1


CONNECTS = {"settled": 0}


async def one_stream(args, body: bytes, r: StreamResult, start_gate: asyncio.Event):
    t0 = time.monotonic()
    writer = None
    try:
        try:
            reader, writer = await asyncio.open_connection(args.host, args.port, limit=1 << 20)
        finally:
            CONNECTS["settled"] += 1
        await start_gate.wait()
        t0 = time.monotonic()
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            b"Accept: text/event-stream\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
            % (args.host.encode(), args.port, len(body), body))
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.split(None, 2)
        r.status = int(parts[1]) if len(parts) >= 2 else None
        headers = await read_headers(reader)
        if r.status != 200:
            rest = await reader.read(2000)
            r.problem = f"HTTP {r.status}: {rest[:300]!r}"
            return
        if not headers.get("content-type", "").startswith("text/event-stream"):
            r.problem = f"content-type {headers.get('content-type')!r}"
            return
        chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        buf = b""

        def feed(data: bytes):
            nonlocal buf
            buf += data
            while True:
                i = buf.find(b"\n\n")
                if i < 0:
                    break
                ev, buf = buf[:i], buf[i + 2:]
                for line in ev.split(b"\n"):
                    if line.startswith(b"data:"):
                        if r.ttfb is None:
                            r.ttfb = time.monotonic() - t0
                        classify(line[5:].strip(), r)

        if chunked:
            while True:
                size_line = await reader.readline()
                if not size_line:
                    r.problem = "connection closed inside the chunked body"
                    return
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    break
                feed(await reader.readexactly(size))
                await reader.readexactly(2)
        else:
            length = headers.get("content-length")
            if length is not None:
                feed(await reader.readexactly(int(length)))
            else:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    feed(data)
        if buf.strip():
            r.problem = f"unterminated event at the end: {buf[:100]!r}"
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        r.problem = f"{type(exc).__name__}: {exc}"
    finally:
        r.duration = time.monotonic() - t0
        if writer is not None:
            writer.close()


def read_vm(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


async def sampler(pid, every, series, stop: asyncio.Event):
    t0 = time.monotonic()
    while not stop.is_set():
        kb = read_vm(pid, "VmRSS")
        if kb is not None:
            series.append((round(time.monotonic() - t0, 2), kb))
        try:
            await asyncio.wait_for(stop.wait(), every)
        except asyncio.TimeoutError:
            pass


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--expect-chunks", type=int, required=True, help="content chunks each stream must carry")
    p.add_argument("--model", default="slow")
    p.add_argument("--pid", type=int, help="process whose VmRSS is sampled (the gateway)")
    p.add_argument("--sample-ms", type=float, default=200)
    p.add_argument("--timeout", type=float, default=120, help="seconds for the whole soak")
    p.add_argument("--json-out")
    args = p.parse_args()

    body = json.dumps({"model": args.model, "stream": True, "max_tokens": 512,
                       "messages": [{"role": "user", "content": "Stream slowly, please."}]}).encode()
    results = [StreamResult() for _ in range(args.streams)]
    gate = asyncio.Event()
    series = []
    stop = asyncio.Event()
    samp = asyncio.create_task(sampler(args.pid, args.sample_ms / 1000, series, stop)) if args.pid else None

    t_start = time.monotonic()
    tasks = [asyncio.create_task(one_stream(args, body, r, gate)) for r in results]
    # Connect everything first (at most 30 s), then send every request at the same moment.
    for _ in range(3000):
        await asyncio.sleep(0.01)
        if CONNECTS["settled"] >= args.streams:
            break
    connect_s = time.monotonic() - t_start
    gate.set()
    t_sent = time.monotonic()
    done, pending = await asyncio.wait(tasks, timeout=args.timeout)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
    wall = time.monotonic() - t_sent
    stop.set()
    if samp:
        await samp

    for r in results:
        if r.problem:
            continue
        if r.status != 200:
            r.problem = f"status {r.status}"
        elif r.content != args.expect_chunks:
            r.problem = f"{r.content} content chunks, expected {args.expect_chunks}"
        elif r.finish != 1:
            r.problem = f"{r.finish} finish chunks"
        elif r.errors:
            r.problem = f"{r.errors} error events"
        elif not r.done or r.after_done:
            r.problem = "no [DONE] at the end" if not r.done else "events after [DONE]"
        else:
            r.ok = True
    for i, t in enumerate(tasks):
        if t in pending and not results[i].problem:
            results[i].problem = "timed out"
            results[i].ok = False

    ok = sum(r.ok for r in results)
    durations = sorted(r.duration for r in results if r.ok)
    ttfbs = sorted(r.ttfb for r in results if r.ok and r.ttfb is not None)
    problems = {}
    for r in results:
        if not r.ok:
            problems[r.problem] = problems.get(r.problem, 0) + 1
    content = [r.content for r in results]
    peak = max((kb for _, kb in series), default=None)
    summary = {
        "streams": args.streams,
        "completed_ok": ok,
        "failed": args.streams - ok,
        "expected_content_chunks": args.expect_chunks,
        "content_chunks_min": min(content) if content else None,
        "content_chunks_max": max(content) if content else None,
        "content_chunks_total": sum(content),
        "usage_chunks_total": sum(r.usage for r in results),
        "connect_phase_s": round(connect_s, 3),
        "wall_s": round(wall, 3),
        "stream_s_p50": round(statistics.median(durations), 3) if durations else None,
        "stream_s_max": round(durations[-1], 3) if durations else None,
        "ttfb_ms_p50": round(statistics.median(ttfbs) * 1000, 1) if ttfbs else None,
        "ttfb_ms_max": round(ttfbs[-1] * 1000, 1) if ttfbs else None,
        "rss_samples": len(series),
        "rss_peak_sampled_kb": peak,
        "problems": problems,
    }
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({**summary, "rss_series": series}, f)
    print(f"soak: {ok}/{args.streams} streams complete with {args.expect_chunks} content chunks + finish + [DONE] "
          f"(content chunks min {summary['content_chunks_min']}, max {summary['content_chunks_max']}); "
          f"stream duration p50 {summary['stream_s_p50']} s, max {summary['stream_s_max']} s; "
          f"first event p50 {summary['ttfb_ms_p50']} ms, max {summary['ttfb_ms_max']} ms; wall {summary['wall_s']} s", file=sys.stderr)
    for problem, n in sorted(problems.items(), key=lambda kv: -kv[1])[:10]:
        print(f"soak: {n} stream(s) failed: {problem}", file=sys.stderr)
    print("SOAK_RESULT " + json.dumps(summary), flush=True)
    return 0 if ok == args.streams else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
