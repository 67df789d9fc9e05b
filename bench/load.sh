#!/usr/bin/env bash
# Load benchmark: the service on 127.0.0.1 under wrk (256 connections) for each mix a booting farm
# sends, printing requests/s, p50/p99 latency and the service's peak RSS. Prints; asserts nothing.
# Usage: bench/load.sh [seconds per mix, default 60]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$repo/setup/lib.sh"
need_packages wrk curl
"$repo/setup/template.sh" >/dev/null
seconds=${1:-60}

site=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$site"' EXIT
mkdir -p "$site/kernels/net" "$site/db"
head -c 8000000 /dev/urandom > "$site/kernels/zos.efi"
ln -s ../zos.efi "$site/kernels/net/prod.efi"
cat > "$site/config.json" <<JSON
{ "ipxe-template": "$repo/ipxe-template", "kernel-path": "kernels", "kernel-net-path": "kernels/net",
  "bootstrap-db": "db/bootstrap.sqlite3", "cache-path": "cache", "base-host": "http://bootstrap.test" }
JSON
dotnet build "$repo/Bootstrap.Api" -c Release -v quiet -nologo >/dev/null
dll="$repo/Bootstrap.Api/bin/Release/net10.0/Bootstrap.Api.dll"
dotnet "$dll" provision --config "$site/config.json" add --address 52:54:00:00:00:01 --network prod --farmer 1234 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The request log goes to a file, as under systemd's journal, not to a terminal.
dotnet "$dll" --config "$site/config.json" --urls "http://127.0.0.1:$port" >"$site/service.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs -o /dev/null "$base/healthz" && break; sleep 0.2; done
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
grep -E 'VmHWM' "/proc/$pid/status" | awk '{printf "peak RSS %.0f MiB\n", $2/1024}'
