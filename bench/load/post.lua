-- wrk script of Portal's load harness (bench/load/run.sh): POSTs one JSON body on every request and prints one
-- machine-readable result line when done.
--
--   WRK_BODY='{"model":"bench","messages":[{"role":"user","content":"Hi"}]}' \
--     wrk -t2 -c32 -d10s -s bench/load/post.lua http://127.0.0.1:8080/v1/chat/completions
--   wrk ... -s bench/load/post.lua <url> -- '<body>'      (the body as a script argument instead)
--
-- Result line (latencies in microseconds; err_status counts responses with status >= 400, as wrk does):
--   WRK_RESULT requests=N duration_us=N rps=N.N p50_us=N p90_us=N p99_us=N mean_us=N max_us=N bytes=N
--              err_connect=N err_read=N err_write=N err_timeout=N err_status=N
-- WRK_DELAY_MS=N pauses N ms before every request of a connection (wrk's delay() hook): paced load, for the latency of
-- a client that does not keep the gateway's core busy.
-- No response() callback: it would make wrk parse and hand every response to Lua, slowing the load generator.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("WRK_BODY")

local pause_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if pause_ms ~= nil and pause_ms > 0 then
   function delay()
      return pause_ms
   end
end

function init(args)
   if args[1] ~= nil and args[1] ~= "" then
      wrk.body = args[1]
   end
   if wrk.body == nil or wrk.body == "" then
      error("post.lua: no body: set WRK_BODY or pass it after --")
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%.0f p90_us=%.0f p99_us=%.0f mean_us=%.0f max_us=%.0f bytes=%d " ..
      "err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d\n",
      summary.requests, summary.duration, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status))
end
