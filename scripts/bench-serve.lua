-- wrk script for scripts/bench-serve.sh: POSTs :recommend (or
-- :batch-recommend) bodies for random known users.
--
--   wrk ... -s bench-serve.lua URL -- USERS_FILE BATCH [API_KEY]
--
-- USERS_FILE holds one user id per line; BATCH is 0 for :recommend or the
-- number of users per :batch-recommend request. Bodies are built once in
-- init so the generator spends its CPU on sending, not on string building.
-- done() prints one machine-readable RESULT line.

local bodies = {}
local batch = 0

function init(args)
  local users = {}
  for line in io.lines(args[1]) do
    if line ~= "" then users[#users + 1] = line end
  end
  batch = tonumber(args[2]) or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[3] and args[3] ~= "" then wrk.headers["X-API-Key"] = args[3] end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  for i = 1, 512 do
    if batch == 0 then
      bodies[i] = string.format('{"user_id":"%s","limit":10}', users[math.random(#users)])
    else
      local parts = {}
      for j = 1, batch do
        parts[j] = string.format('{"user_id":"%s","limit":10}', users[math.random(#users)])
      end
      bodies[i] = '{"requests":[' .. table.concat(parts, ",") .. ']}'
    end
  end
end

function request()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local non2xx = summary.errors.status
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d req_s=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    non2xx, errs))
end
