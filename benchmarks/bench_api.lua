-- wrk script of `make bench-api`: the dashboard mix against PIE, or one plain GET.
--
-- PIE_BENCH_MODE=mix: 9 GETs of most_recent_and_certain to 1 POST of a new intent, each
-- request as the next of the learners whose tokens are in PIE_BENCH_TOKENS (one
-- "lms_user_id token" per line); every POST body is unique (its program's UUID holds the
-- wrk thread and a counter), so none is a duplicate.
-- PIE_BENCH_MODE=get: GET the URL wrk was given (the health check, the ceiling), with
-- PIE_BENCH_TOKEN as the JWT when it is set.
-- At the end, one line "RESULT {json}" with the counts and latency percentiles (µs).

local threads = {}
local mode = os.getenv("PIE_BENCH_MODE") or "get"

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local tokens = {}
local counter = 0

function init(args)
  if mode == "mix" then
    for line in io.lines(os.getenv("PIE_BENCH_TOKENS")) do
      local _, token = line:match("^(%d+) (%S+)$")
      tokens[#tokens + 1] = "JWT " .. token
    end
  end
end

local LIST = "/api/v1/program_intents/most_recent_and_certain/"
local CREATE = "/api/v1/program_intents/"
local BODY = '{"program_uuid": "00000000-0000-4000-8000-%04x%08x", "reason": "LEARNER_STATED", '
  .. '"certainty": "MAYBE", "effective_timestamp": "2024-01-01T00:00:00Z"}'

local token = os.getenv("PIE_BENCH_TOKEN")
if token then
  wrk.headers["Authorization"] = "JWT " .. token
end

function request()
  if mode ~= "mix" then
    return wrk.request()
  end
  counter = counter + 1
  -- Threads start at different learners, so that they do not move in step.
  local learner = tokens[(counter + tid * 997) % #tokens + 1]
  if counter % 10 == 0 then
    return wrk.format("POST", CREATE, {["Authorization"] = learner, ["Content-Type"] = "application/json"},
      string.format(BODY, tid, counter))
  end
  return wrk.format("GET", LIST, {["Authorization"] = learner})
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
      .. '"timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
