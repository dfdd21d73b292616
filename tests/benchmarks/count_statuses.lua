-- wrk -s: count the responses that are not 200 (bench_pages.py --serve reads the last line).
-- wrk's own "Non-2xx or 3xx responses" lets a redirect pass, and a page that redirects (to
-- the sign-in page, say) is as broken for the benchmark as one that fails.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  last = 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    last = status
  end
end

function done(summary, latency, requests)
  local total, status = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    if thread:get("last") ~= 0 then
      status = thread:get("last")
    end
  end
  io.write(string.format("non-200: %d (last %d)\n", total, status))
end
