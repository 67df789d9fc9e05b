#!/usr/bin/env bash
# Load benchmark: the service on 127.0.0.1 under wrk (256 connections) for each mix a booting farm
# sends, printing requests/s, p50/p99 latency and the service's peak RSS; then 1,000 discovered
# machines polling at once (1,000 connections, bench/poll.lua counts every status), and the rate
# of /provision for an assigned machine as a ratio of /ipxe/prod/1234 (median of 3 alternating
# rounds: "ratio provision/ipxe 0.93"); then bench/cluster.sh (several instances behind haproxy).
# Prints; asserts nothing.
# Usage: bench/load.sh [seconds per mix, default 60]
set -euo pipefail
seconds=${1:-60}
. "$(dirname "$0")/lib.sh"
dotnet "$dll" provision --config "$site/config.json" add --address 52:54:00:00:00:01 --network prod --farmer 1234 >/dev/null
start_service
curl -fs -o /dev/null "$base/iso/prod/1234"

run() {
    local name=$1; shift
    wrk -t2 -c256 -d"${seconds}s" --latency "$@" | awk -v name="$name" '
        /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF}
        END {printf "%-26s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n", name, rps, p50, p99, bad ? bad : 0}'
}
echo "== wrk, 2 threads, 256 connections, ${seconds} s per mix"
run "/ipxe/prod/1234" "$base/ipxe/prod/1234"
run "/iso/prod/1234 (cached)" "$base/iso/prod/1234"
run "/kernel 64 KiB range" -H "Range: bytes=65536-131071" "$base/kernel/net/prod.efi"
run "/provision/<registered>" "$base/provision/52:54:00:00:00:01"

poll_line() {
    awk -v name="$1" '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /^statuses/ {sub(/^statuses /, ""); statuses=$0}
        END {printf "%-30s %10s req/s   p50 %-9s p99 %-9s %s\n", name, rps, p50, p99, statuses}' "$2"
}
echo "== 1,000 discovered machines polling /provision about once a second each (1000 connections; 404 is their answer)"
wrk -t2 -c1000 -d5s --latency -s "$here/poll.lua" "$base" > "$site/poll.out"
poll_line "first contact (1,000 new), 5 s" "$site/poll.out"
wrk -t2 -c1000 -d"${seconds}s" --latency -s "$here/poll.lua" "$base" > "$site/poll.out"
poll_line "1,000 polling, alone" "$site/poll.out"
echo "== the same, while assigned machines fetch their scripts as fast as they can (64 connections): reads never wait for discovery writes"
wrk -t2 -c1000 -d"${seconds}s" --latency -s "$here/poll.lua" "$base" > "$site/poll.out" &
poller=$!
sleep 1
wrk -t1 -c64 -d"$((seconds - 2))s" --latency "$base/provision/52:54:00:00:00:01" | awk '
    /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {printf "%-30s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n", "/provision/<registered> meanwhile", rps, p50, p99, bad ? bad : 0}'
wait "$poller"
poll_line "1,000 polling, under that load" "$site/poll.out"

rate() { wrk -t2 -c64 -d5s "$1" | awk '/Requests\/sec/ {print $2}'; }
ratios=()
for _ in 1 2 3; do
    ipxe=$(rate "$base/ipxe/prod/1234")
    provision=$(rate "$base/provision/52:54:00:00:00:01")
    ratios+=("$(ratio "$provision" "$ipxe")")
done
echo "ratio provision/ipxe $(median_of "${ratios[@]}")   (rounds: ${ratios[*]})"
peak_rss

echo "== several instances (bench/cluster.sh: PostgreSQL, 3 instances, haproxy)"
kill "$pid" 2>/dev/null || true
"$here/cluster.sh" "$(( seconds < 10 ? seconds : 10 ))"
