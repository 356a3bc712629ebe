-- wrk script for POST /v1/screen with a new order id on every request (as a shop sends
-- them: each order screened once), cycling through the JSON bodies of $BODIES with the
-- bearer token $TOKEN. Used by tools/bench_decisions/run.sh.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local i = 0
local prefix = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")

request = function()
  i = i + 1
  local body = bodies[(i - 1) % #bodies + 1]
  body = body:gsub('"order_id": "', '"order_id": "' .. prefix .. "-" .. i .. "-", 1)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("wrk_non_2xx=%d wrk_errors=%d\n",
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
