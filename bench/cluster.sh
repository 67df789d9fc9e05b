#!/usr/bin/env bash
# Several instances behind haproxy (setup/cluster.sh: PostgreSQL, 3 instances, haproxy), measured
# in one run with wrk (prints numbers; asserts nothing):
#   scripts per second (/ipxe/prod/1234) through haproxy over 3 instances and through a second
#   haproxy over one of them, against that instance direct (median ratios of 3 alternating rounds).
#   On a 2-core machine the instances and haproxy share the same CPUs as wrk, so the ratios show
#   what the proxy hop costs and what three processes sharing two cores cost, not what scaling out gains;
#   cached /iso throughput through haproxy;
#   /provision/<mac> latency (p50, p99) with 1,000 registered machines polling it;
#   how long a change takes to reach another instance: 100 runmode-link switches made through
#   instance-3 while wrk loads the scripts through haproxy, each timed until instance-1 serves the
#   new kernel (p50, p99, max).
# Usage: bench/cluster.sh [seconds per wrk run, default 10] (bench/load.sh runs it at its end)
set -euo pipefail
seconds=${1:-10}
. "$(dirname "$0")/lib.sh"
need_packages haproxy wrk
pid=""
cluster_env() { CLUSTER_DIR="$site/cluster" CLUSTER_CONFIG="$site/config.json" CLUSTER_PORT=$front CLUSTER_FIRST_PORT=$first CLUSTER_DLL="$dll" "$@"; }
trap '[ -f "$site/one.pid" ] && kill "$(cat "$site/one.pid")" 2>/dev/null || true; cluster_env "$repo/setup/cluster.sh" down >/dev/null 2>&1 || true; rm -rf "$site"' EXIT
front=$(free_port)
first=$(free_port)
mkdir -p "$site/cluster"
# 1,000 assignments through the admin API below: above its default per-client budget.
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["admin-requests-per-minute"] = 1000000; json.dump(c, open(sys.argv[1], "w"))' "$site/config.json"
chmod 755 "$site" "$site/cluster"   # PostgreSQL runs as the postgres user when we are root
# The bench site (its 8 MB kernel and prod link) moves into the cluster's PostgreSQL first.
cluster_env "$repo/setup/cluster.sh" migrate "$site/config.json" >/dev/null
cluster_env "$repo/setup/cluster.sh" up 3 >/dev/null
token=$(cat "$site/cluster/api-token")
balanced="http://127.0.0.1:$front"
direct="http://127.0.0.1:$first"
# The same haproxy settings in front of instance-1 alone: the proxy hop's cost apart from the sharing.
single_port=$(free_port)
single="http://127.0.0.1:$single_port"
sed -e "s/^\( *bind 127\.0\.0\.1:\)$front\$/\1$single_port/" -e '/^ *server instance-[2-9]/d' "$site/cluster/haproxy.cfg" >"$site/one.cfg"
haproxy -D -f "$site/one.cfg" -p "$site/one.pid" </dev/null
for _ in 1 2 3; do curl -fs -o /dev/null "$balanced/ipxe/prod/1234"; curl -fs -o /dev/null "$balanced/iso/prod/1234"; done   # JIT, one ISO per instance
await_health "$single" "$site/cluster/haproxy.log"

rate() { wrk -t2 -c64 -d"${seconds}s" "$1" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
echo "== scripts per second (/ipxe/prod/1234, wrk 2 threads, 64 connections, ${seconds} s; 3 alternating rounds, medians)"
three=() one=() alone=() three_ratios=() one_ratios=()
for _ in 1 2 3; do
    three+=("$(rate "$balanced/ipxe/prod/1234")")
    one+=("$(rate "$single/ipxe/prod/1234")")
    alone+=("$(rate "$direct/ipxe/prod/1234")")
    three_ratios+=("$(ratio "${three[-1]}" "${alone[-1]}")")
    one_ratios+=("$(ratio "${one[-1]}" "${alone[-1]}")")
done
printf 'through haproxy, 3 instances %10s req/s   ratio %s (rounds: %s)\n' "$(median_of "${three[@]}")" "$(median_of "${three_ratios[@]}")" "${three_ratios[*]}"
printf 'through haproxy, 1 instance  %10s req/s   ratio %s (rounds: %s)\n' "$(median_of "${one[@]}")" "$(median_of "${one_ratios[@]}")" "${one_ratios[*]}"
printf 'one instance direct          %10s req/s   (the reference)\n' "$(median_of "${alone[@]}")"
echo "(2 cores shared by wrk, haproxy and the instances: 1 instance is the proxy hop's cost, 3 instances adds three processes sharing two cores; not scale-out)"

echo "== cached /iso/prod/1234 through haproxy (1.5 MB each)"
iso=$(rate "$balanced/iso/prod/1234")
awk -v r="$iso" 'BEGIN {printf "%s req/s, %.0f MB/s\n", r, r * 1576960 / 1e6}'

echo "== /provision/<mac> with 1,000 registered machines polling (wrk 2 threads, 100 connections, random MAC per request)"
macs="$site/macs.txt"
python3 - "$macs" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1000):
        f.write("52:54:00:10:%02x:%02x\n" % (i // 256, i % 256))
PY
while read -r mac; do
    echo "{\"network\":\"prod\",\"farmer\":\"$((RANDOM % 9000 + 1000))\"}" |
        curl -fs -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @- "$balanced/api/machines/$mac"
done < "$macs"
cat > "$site/poll.lua" <<'LUA'
local macs = {}
for line in io.lines(os.getenv("MACS")) do macs[#macs + 1] = line:gsub(":", "-") end
math.randomseed(os.time())
request = function() return wrk.format("GET", "/provision/" .. macs[math.random(#macs)]) end
LUA
MACS="$macs" wrk -t2 -c100 -d"${seconds}s" --latency -s "$site/poll.lua" "$balanced" |
    awk '/^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2} /Requests\/sec/ {rps = $2} /Non-2xx/ {bad = $NF}
         END {printf "p50 %s  p99 %s  %s req/s  non-2xx %s\n", p50, p99, rps, bad ? bad : 0}'

echo "== propagation: 100 runmode-link switches through instance-3, each timed until instance-1 serves the new kernel, under wrk load through haproxy"
# Two kernels to switch between (the site's zos.efi and a small second one), then wrk on the scripts
# in the background (2 threads, 64 connections, at most 120 s) while a switch is made every ~100 ms.
head -c 100000 /dev/urandom > "$site/other.efi"
curl -fs -o /dev/null -H "Authorization: Bearer $token" -F kernel=@"$site/other.efi" "http://127.0.0.1:$((first + 2))/api/kernel"
wrk -t2 -c64 -d120s "$balanced/ipxe/prod/1234" >/dev/null 2>&1 &
load=$!
python3 - "http://127.0.0.1:$((first + 2))" "http://127.0.0.1:$first" "$token" <<'PY' || true
import sys, time, http.client, urllib.parse
writer, reader, token = sys.argv[1:4]
def request(base, method, path, headers=None):
    url = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse(); r.read(); c.close()
    return r
def served_etag():
    return request(reader, "HEAD", "/kernel/net/prod.efi").getheader("ETag")
targets = ["other.efi", "zos.efi"]
etags = {}
for t in targets:   # each kernel's ETag as instance-1 serves it, learned once
    request(writer, "POST", f"/api/symlink/prod.efi/{t}", {"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        e = served_etag()
        if e not in etags.values():
            etags[t] = e; break
        time.sleep(0.01)
times, missed = [], 0
for i in range(100):
    target = targets[i % 2]
    start = time.monotonic()
    request(writer, "POST", f"/api/symlink/prod.efi/{target}", {"Authorization": f"Bearer {token}"})
    while time.monotonic() - start < 10:
        if served_etag() == etags.get(target):
            times.append((time.monotonic() - start) * 1000); break
        time.sleep(0.002)
    else:
        missed += 1
    time.sleep(0.1)
times.sort()
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")
print(f"p50 {pick(0.5):.0f} ms  p99 {pick(0.99):.0f} ms  max {times[-1] if times else float('nan'):.0f} ms  ({len(times)} changes seen, {missed} not within 10 s)")
PY
kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true
