#!/usr/bin/env bash
# Benchmark of the running service on this machine (prints numbers; asserts nothing):
#   cold and cached latency per image target, requests/s of /ipxe/prod/1234 and of a cached /iso
#   (wrk, 64 connections), and the service's peak RSS. Everything stays on 127.0.0.1.
# Usage: bench/run.sh [seconds per wrk run, default 10]
set -euo pipefail
seconds=${1:-10}
. "$(dirname "$0")/lib.sh"
start_service --Logging:LogLevel:Default=Warning
curl -fs -o /dev/null "$base/ipxe/prod/1"   # first request pays start-up JIT; not measured

ms() { curl -fs -o /dev/null -w '%{time_total}' "$1" | awk '{printf "%.1f", $1*1000}'; }
echo "== latency per target (ms): cold = first build of a new farm id, cached = median of 20 repeats"
printf '%-8s %8s %8s %10s\n' target cold cached bytes
farm=100
for target in iso usb uefimg debug uefi snponly; do
    farm=$((farm + 1))
    url="$base/$target/prod/$farm"
    cold=$(ms "$url")
    cached=$(for _ in $(seq 20); do ms "$url"; echo; done | sort -n | sed -n 10p)
    bytes=$(curl -fs "$url" | wc -c)
    printf '%-8s %8s %8s %10s\n' "$target" "$cold" "$cached" "$bytes"
done

run_wrk() {
    wrk -t2 -c64 -d"${seconds}s" --latency "$1" | awk -v name="$2" '
        /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2}
        END {printf "%-22s %10s req/s   p50 %-8s p99 %s\n", name, rps, p50, p99}'
}
echo "== throughput (wrk, 2 threads, 64 connections, ${seconds} s each)"
run_wrk "$base/ipxe/prod/1234" "/ipxe/prod/1234"
curl -fs -o /dev/null "$base/iso/prod/1234"
run_wrk "$base/iso/prod/1234" "/iso/prod/1234 (cached)"

echo "== memory"
peak_rss
