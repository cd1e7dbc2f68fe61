-- wrk script for make bench's webhook baseline: POSTs, over and over, one delivery the
-- registry made to the benchmark's receiver (the same CloudEvent body and webhook-* headers).
-- BENCH_WEBHOOK_BODY names a file holding the body, BENCH_WEBHOOK_HEADERS one with its headers
-- ("name: value" per line).
local file = assert(io.open(os.getenv("BENCH_WEBHOOK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
for line in io.lines(os.getenv("BENCH_WEBHOOK_HEADERS")) do
  local name, value = line:match("^([^:]+): (.*)$")
  if name then wrk.headers[name] = value end
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d of %d\n", summary.errors.status, summary.requests))
end
