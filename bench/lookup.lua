-- wrk script for make bench: GET /v1/persons/{iin}/registration for random stored people, with an
-- agency token and a purpose, as an agency would ask. BENCH_IINS names a file of IINs (one per
-- line), BENCH_TOKEN holds the token.
local iins = {}
for line in io.lines(os.getenv("BENCH_IINS")) do iins[#iins + 1] = line end
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  ["X-Purpose"] = "benchmark: registration lookups",
}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
  return wrk.format("GET", "/v1/persons/" .. iins[math.random(#iins)] .. "/registration", headers)
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d of %d\n", summary.errors.status, summary.requests))
end
