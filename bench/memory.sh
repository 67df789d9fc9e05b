#!/usr/bin/env bash
# Memory under cold builds (prints numbers; asserts nothing): 300 different /iso-sb images asked 60
# at a time from a fresh service with the default memory-cache budget (cache-memory-bytes, 256 MiB),
# then the service's peak RSS against that budget. The goal: peak RSS within budget + 200 MiB.
# Usage: bench/memory.sh [images, default 300] [at once, default 60]
set -euo pipefail
images=${1:-300}
parallel=${2:-60}
. "$(dirname "$0")/lib.sh"
start_service
budget_mib=256
curl -fs -o /dev/null "$base/iso-sb/prod/1"   # JIT and the template's first read
echo "== $images cold /iso-sb images, $parallel at a time"
start=$(date +%s.%N)
seq 2 $((images + 1)) | xargs -P "$parallel" -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 300 "$base/iso-sb/prod/{}" |
    sort | uniq -c | awk '{printf "%s x %s  ", $1, $2} END {print ""}'
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f s\n", e - s}'
size=$(curl -fs "$base/iso-sb/prod/2" | wc -c)
awk -v b="$size" 'BEGIN {printf "one image %.1f MiB\n", b / 1048576}'
awk -v budget="$budget_mib" '/VmHWM/ {peak = $2 / 1024} /VmRSS/ {now = $2 / 1024}
    END {printf "peak RSS %.0f MiB, now %.0f MiB; memory-cache budget %d MiB; peak over budget %.0f MiB (goal: at most 200)\n", peak, now, budget, peak - budget}' "/proc/$pid/status"
