# Shared by the bench scripts (sourced): a throw-away service folder with an 8 MB prod kernel and
# the Release build of the service running on a free 127.0.0.1 port. Sets $site, $pid, $base, $dll.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
. "$repo/setup/lib.sh"
need_packages wrk curl
"$repo/setup/template.sh" >/dev/null

site=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$site"' EXIT
mkdir -p "$site/kernels/net" "$site/db"
head -c 8000000 /dev/urandom > "$site/kernels/zos.efi"
ln -s ../zos.efi "$site/kernels/net/prod.efi"
cat > "$site/config.json" <<JSON
{ "ipxe-template": "$repo/ipxe-template", "kernel-path": "kernels", "kernel-net-path": "kernels/net",
  "bootstrap-db": "db/bootstrap.sqlite3", "cache-path": "cache", "base-host": "http://bootstrap.test",
  "cold-builds-per-minute": 1000000, "max-connections-per-client": 100000, "unknown-machines-per-minute": 1000000 }
JSON
dotnet build "$repo/Bootstrap.Api" -c Release -v quiet -nologo >/dev/null
dll="$repo/Bootstrap.Api/bin/Release/net10.0/Bootstrap.Api.dll"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until the service at URL answers /healthz; shows LOG and fails when it does not start.
await_health() {
    for _ in $(seq 100); do curl -fs -o /dev/null "$1/healthz" && return 0; sleep 0.2; done
    echo "bench: the service did not start:" >&2; cat "$2" >&2; return 1
}

# Starts the service (extra arguments go to it); the request log goes to a file, as under the journal.
start_service() {
    local port
    port=$(free_port)
    dotnet "$dll" --config "$site/config.json" --urls "http://127.0.0.1:$port" "$@" >"$site/service.log" 2>&1 &
    pid=$!
    base="http://127.0.0.1:$port"
    await_health "$base" "$site/service.log"
}

# Starts a second service on CONFIG beside the first, for a bench's reference; sets $second and $second_pid.
start_second_service() {
    local port
    port=$(free_port)
    dotnet "$dll" --config "$1" --urls "http://127.0.0.1:$port" >"$site/second.log" 2>&1 &
    second_pid=$!
    trap 'kill "$pid" "$second_pid" 2>/dev/null || true; rm -rf "$site"' EXIT
    second="http://127.0.0.1:$port"
    await_health "$second" "$site/second.log"
}

# One request's time in ms (one line), and the median of the numbers on stdin.
ms() { curl -fs -o /dev/null -w '%{time_total}' "$1" | awk '{printf "%.1f\n", $1*1000}'; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# The median of the arguments; A / B with two decimals (the benches' ratios against a reference).
median_of() { printf '%s\n' "$@" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

peak_rss() { awk '/VmHWM/ {printf "peak RSS %.0f MiB\n", $2/1024}' "/proc/$pid/status"; }
