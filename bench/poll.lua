-- wrk script: 1,000 discovered machines polling /provision/<their MAC> with iPXE's facts, as the
-- generic script does while a machine waits for its assignment (404 is the expected answer). Each
-- connection is one machine asking about once a second (ten times the default discovery-poll-seconds),
-- 0.5 to 1.5 s apart: machines powered on at different moments do not ask in step.
-- Prints the count of each status and of each socket error, so that none hides in "non-2xx".
local machines, n = 1000, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  n = n + 1
  local i = n % machines
  return wrk.format("GET", string.format(
    "/provision/52:54:01:00:%02x:%02x?serial=SN%d&manufacturer=Acme&product=Rack9&platform=efi&arch=x86_64&ip=10.0.%d.%d",
    math.floor(i / 256), i % 256, i, math.floor(i / 256), i % 256))
end

function delay()
  return math.random(500, 1500)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format("%d=%d", status, count))
  end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format("statuses %s  socket_errors connect=%d read=%d write=%d timeout=%d\n", table.concat(parts, " "),
    e.connect, e.read, e.write, e.timeout))
end
