-- wrk script: cycle through pre-generated signed Twilio requests, one "signature<TAB>body" per line.
-- Usage: wrk -s rotate.lua URL -- FILE THREADS [close]. Each wrk thread takes every THREADS-th line.
-- With "close", every request says "Connection: close", as nginx's proxy_pass does by default, so that
-- each request is a new connection (and gunicorn's workers share the load the way they do behind nginx).
-- done() prints one line "BENCH_JSON {...}" with the totals and latency percentiles in microseconds.

local next_id = 0
local prepared = {}
local position = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
end

function init(args)
   local file, threads, close = args[1], tonumber(args[2] or "1"), args[3] == "close"
   local index = 0
   for line in io.lines(file) do
      if index % threads == tid then
         local tab = line:find("\t", 1, true)
         local headers = {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["X-Twilio-Signature"] = line:sub(1, tab - 1),
         }
         if close then
            headers["Connection"] = "close"
         end
         prepared[#prepared + 1] = wrk.format("POST", wrk.path, headers, line:sub(tab + 1))
      end
      index = index + 1
   end
   if #prepared == 0 then
      error("no requests in " .. file)
   end
end

function request()
   position = position + 1
   if position > #prepared then
      position = 1
   end
   return prepared[position]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
      '"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
