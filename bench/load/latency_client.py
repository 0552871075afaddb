#!/usr/bin/env python3
"""One keep-alive connection, requests back to back, every latency recorded: the 1-connection probe of run.sh.

Usage: latency_client.py URL BODY [--requests N] [--warmup-fraction F]
Sends N POST requests (JSON BODY) one after another on one HTTP/1.1 connection and times each from the first byte
written to the last byte of the response (Content-Length or chunked), with nothing between requests but the timing.
The first F of the requests (default 0.2) are not counted. Prints one line:
  LAT_RESULT requests=N rps=N.N p50_us=N p90_us=N p99_us=N p999_us=N mean_us=N max_us=N errors=N
errors counts responses whose status is not 200; exit status 1 when any, 2 when the connection broke.

Why next to wrk: at one back-to-back connection wrk's latency figures do not add up on this machine (their mean is
about twice 1/requests-per-second, impossible on one connection), while these do (mean x rps = 1 s).
"""
import argparse
import socket
import sys
import time
from urllib.parse import urlsplit


def read_response(sock, buf):
    """Reads one response; returns (status, leftover bytes)."""
    while (end := buf.find(b"\r\n\r\n")) < 0:
        buf += recv(sock)
    head = buf[:end].decode("latin-1")
    status = int(head.split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head.split("\r\n")[1:])}
    rest = buf[end + 4:]
    if "content-length" in headers:
        size = int(headers["content-length"])
        while len(rest) < size:
            rest += recv(sock)
        return status, rest[size:]
    if headers.get("transfer-encoding", "").lower() != "chunked":
        raise ValueError("response has neither Content-Length nor chunked encoding")
    while True:  # chunked: size line, data, CRLF ... until the zero-size chunk
        while (eol := rest.find(b"\r\n")) < 0:
            rest += recv(sock)
        size = int(rest[:eol].split(b";")[0], 16)
        need = eol + 2 + size + 2
        while len(rest) < need:
            rest += recv(sock)
        rest = rest[need:]
        if size == 0:
            return status, rest


def recv(sock):
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("the server closed the connection")
    return data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("body")
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--warmup-fraction", type=float, default=0.2)
    args = parser.parse_args()
    url = urlsplit(args.url)
    body = args.body.encode()
    request = (f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    sock = socket.create_connection((url.hostname, url.port or 80))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    clock = time.perf_counter_ns
    latencies = []
    errors = 0
    buf = b""
    started = clock()
    try:
        for _ in range(args.requests):
            t = clock()
            sock.sendall(request)
            status, buf = read_response(sock, buf)
            latencies.append(clock() - t)
            errors += status != 200
    except (OSError, ValueError) as e:
        print(f"latency_client: {e} after {len(latencies)} requests", file=sys.stderr)
        return 2
    elapsed = (clock() - started) / 1e9
    counted = sorted(ns / 1000 for ns in latencies[int(len(latencies) * args.warmup_fraction):])
    n = len(counted)

    def pct(p):
        return counted[min(n - 1, int(n * p / 100))]

    print(f"LAT_RESULT requests={n} rps={len(latencies) / elapsed:.1f} p50_us={pct(50):.0f} p90_us={pct(90):.0f} "
          f"p99_us={pct(99):.0f} p999_us={pct(99.9):.0f} mean_us={sum(counted) / n:.0f} max_us={counted[-1]:.0f} "
          f"errors={errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
