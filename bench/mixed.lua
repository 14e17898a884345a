-- wrk script for bench/load.sh: mixed traffic. Each request is the next line of the file
-- named by MIX ("METHOD PATH", pre-shuffled in the intended proportions), cycling; lines with
-- /upvote carry the API token in TOKEN. Every search gets one more, random, query word, so
-- no two searches are alike and none is answered from the search cache (feed pages, which
-- real traffic repeats, are). Every response that is not 2xx/3xx is counted by
-- status and reported at the end (the run must have none).
local lines = {}
local counter = 0
local token = os.getenv("TOKEN") or ""
local threads = {}
local bad = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("MIX")) do
    local method, path = line:match("^(%S+) (%S+)$")
    lines[#lines + 1] = { method, path }
  end
  counter = math.random(#lines)
  bad = {}
end

function request()
  counter = counter % #lines + 1
  local method, path = lines[counter][1], lines[counter][2]
  if path:find("/search?", 1, true) then
    path = path:gsub("&mode=", "+n" .. math.random(1, 1000000000) .. "&mode=", 1)
  elseif path:find("/upvote", 1, true) then
    return wrk.format(method, path, { ["Authorization"] = "Bearer " .. token })
  end
  return wrk.format(method, path)
end

function response(status, headers, body)
  if status >= 400 then
    bad[status] = (bad[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local b = t:get("bad")
    for status, n in pairs(b or {}) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    parts[#parts + 1] = status .. "=" .. n
  end
  io.write(string.format("MIXED requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d socket_errors=%d bad={%s}\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, table.concat(parts, ",")))
end
