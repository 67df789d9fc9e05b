#!/usr/bin/env bash
# Benchmark of the running service on this machine (prints numbers; asserts nothing):
#   cold and cached latency per image target, requests/s of /ipxe/prod/1234 and of a cached /iso
#   (wrk, 64 connections), the rate of /ipxe/prod/1234 as a ratio of a constant-string Kestrel app
#   serving the same bytes (bench/ConstantApp; lines "ratio c16 0.83" and "ratio c64 0.80"), and
#   the service's peak RSS, then what Secure Boot costs (bench/secure-boot.sh) and, with
#   IPXE_SOURCE_TREE set, what a source template costs (bench/source-template.sh). Everything stays
#   on 127.0.0.1. The service runs on its defaults (the per-request log on, written to a file as
#   under the journal).
# Usage: bench/run.sh [seconds per wrk run, default 10]
set -euo pipefail
seconds=${1:-10}
. "$(dirname "$0")/lib.sh"
start_service
curl -fs -o /dev/null "$base/ipxe/prod/1"   # first request pays start-up JIT; not measured

echo "== latency per target (ms): cold = first build of a new farm id, cached = median of 20 repeats"
printf '%-8s %8s %8s %10s\n' target cold cached bytes
farm=100
for target in iso usb uefimg debug uefi snponly iso-sb usb-sb; do
    farm=$((farm + 1))
    url="$base/$target/prod/$farm"
    cold=$(ms "$url")
    cached=$(for _ in $(seq 20); do ms "$url"; done | median)
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

# The reference: Kestrel answering the same bytes as a constant. The two run in turn, three rounds
# per connection count, and the ratio printed is the median of the rounds' ratios, so that the
# machine's drift during the run touches both sides alike.
dotnet build "$here/ConstantApp" -c Release -v quiet -nologo >/dev/null
curl -fs "$base/ipxe/prod/1234" > "$site/ipxe-prod-1234"
cport=$(free_port)
dotnet "$here/ConstantApp/bin/Release/net10.0/ConstantApp.dll" --body "$site/ipxe-prod-1234" --urls "http://127.0.0.1:$cport" >/dev/null 2>&1 &
cpid=$!
trap 'kill "$pid" "$cpid" 2>/dev/null || true; rm -rf "$site"' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$cport/ipxe/prod/1234" && break; sleep 0.2; done
cmp -s "$site/ipxe-prod-1234" <(curl -fs "http://127.0.0.1:$cport/ipxe/prod/1234") || { echo "bench: the reference answers other bytes" >&2; exit 1; }
rate() { wrk -t2 -c"$1" -d"${ratio_seconds}s" "$2" | awk '/Requests\/sec/ {print $2}'; }
ratio_seconds=$(( seconds / 2 > 3 ? seconds / 2 : 3 ))
echo "== /ipxe/prod/1234 against the constant-string app (wrk, 2 threads, ${ratio_seconds} s per side, 3 rounds)"
rate 16 "$base/ipxe/prod/1234" >/dev/null; rate 16 "http://127.0.0.1:$cport/ipxe/prod/1234" >/dev/null   # warm-up
for c in 16 64; do
    ratios=()
    for round in 1 2 3; do
        service=$(rate "$c" "$base/ipxe/prod/1234")
        constant=$(rate "$c" "http://127.0.0.1:$cport/ipxe/prod/1234")
        ratios+=("$(ratio "$service" "$constant")")
        echo "  c$c round $round: service $service req/s, constant $constant req/s" >&2
    done
    echo "ratio c$c $(median_of "${ratios[@]}")"
done

echo "== memory"
peak_rss

echo "== Secure Boot (bench/secure-boot.sh: its own pair of services)"
"$here/secure-boot.sh"

echo "== source template (bench/source-template.sh: its own pair of services)"
"$here/source-template.sh"
