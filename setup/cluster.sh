#!/usr/bin/env bash
# Several instances of the service on one PostgreSQL database behind haproxy, on this machine and
# from Debian's packages only, everything in .cluster/ (git-ignored):
#   setup/cluster.sh up [N]   PostgreSQL (setup/postgres.sh; its data in .cluster/postgres, or, as root
#                             when Debian's postgres user cannot reach .cluster, e.g. a clone in /root,
#                             in /var/lib/bootstrap-cluster/<id>/postgres; .cluster/postgres.dir says which),
#                             N instances (default 3)
#                             on 127.0.0.1:5601.., haproxy on 127.0.0.1:5555 checking each /healthz
#   setup/cluster.sh down     stops all of it (the data stays in .cluster/)
#   setup/cluster.sh status   lists what runs
#   setup/cluster.sh migrate [CONFIG]
#                             moves the single-instance site of CONFIG (default config.json): its
#                             SQLite rows, kernels folder, runmode links and images, into the
#                             cluster's PostgreSQL, which must be empty (run it before the first up)
# The instances take config.json's settings (CLUSTER_CONFIG names another file) and its iPXE
# template; kernels, runmode links and catalogue files are in PostgreSQL, and each instance keeps
# its own copies of them (shared-files/) and its own cache of built images (cache/).
# The admin token is in .cluster/api-token. CLUSTER_DIR moves .cluster; CLUSTER_PORT (haproxy,
# default 5555) and CLUSTER_FIRST_PORT (default 5601) move the ports; CLUSTER_NICE (default 0) runs
# the instances and haproxy at that nice level (the tests yield the CPU to their QEMU guests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/lib.sh"
cluster=${CLUSTER_DIR:-$repo/.cluster}
base_config=$(realpath "${CLUSTER_CONFIG:-$repo/config.json}")
front=${CLUSTER_PORT:-5555}
first=${CLUSTER_FIRST_PORT:-5601}
# CLUSTER_DLL runs an already built service (the tests pass theirs) instead of building this checkout.
dll=${CLUSTER_DLL:-$repo/Bootstrap.Api/bin/Release/net10.0/Bootstrap.Api.dll}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Where PostgreSQL keeps the cluster's data: beside the rest, unless the server's own user (postgres,
# when we run as root) cannot reach that folder; then under /var/lib, one folder per cluster folder.
# Chosen once and written down, so down, status and migrate find the same server.
postgres_dir() {
    if [ -f "$cluster/postgres.dir" ]; then cat "$cluster/postgres.dir"; return; fi
    local dir="$cluster/postgres"
    # A cluster made before this choice existed keeps its data where it is.
    if [ ! -d "$dir/data" ] && [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$cluster" 2>/dev/null; then
        dir="/var/lib/bootstrap-cluster/$(printf '%s' "$(realpath "$cluster")" | sha256sum | cut -c1-12)/postgres"
        mkdir -p "$dir"
        chmod 755 /var/lib/bootstrap-cluster "$(dirname "$dir")"
    fi
    echo "$dir" >"$cluster/postgres.dir"
    echo "$dir"
}

instances() { ls -d "$cluster"/instance-* 2>/dev/null | sort -V || true; }

stop_pid() {
    local file=$1
    if alive "$file"; then
        kill "$(cat "$file")"
        for _ in $(seq 50); do alive "$file" || break; sleep 0.1; done
        if alive "$file"; then kill -9 "$(cat "$file")"; fi
    fi
    rm -f "$file"
}

# Starts instance $1 (its folder) on port $2; waits for its /healthz.
start_instance() {
    local folder=$1 port=$2
    alive "$folder/pid" && return 0
    python3 - "$folder/config.json" "$base_config" "$(cat "$cluster/postgres.url")" "$(cat "$cluster/api-token")" <<'PY'
import json, os, sys
out, base, url, token = sys.argv[1:5]
config = json.load(open(base))
here = os.path.dirname(base)
config["ipxe-template"] = os.path.join(here, config.get("ipxe-template", "ipxe-template"))
if config.get("discovery-image"):
    config["discovery-image"] = os.path.join(here, config["discovery-image"])
config.update({
    "storage": "postgres", "postgres-connection": url, "api-token": token, "cache-path": "cache",
    "shared-files-path": "shared-files", "bootstrap-db": "unused.sqlite3", "trusted-proxies": ["127.0.0.1"],
})
json.dump(config, open(out, "w"), indent=2)
PY
    # exec: the pid kept is the service's own; no shell stays behind holding our output open.
    (cd "$folder" && exec nice -n "${CLUSTER_NICE:-0}" dotnet "$dll" --config "$folder/config.json" --urls "http://127.0.0.1:$port") </dev/null >"$folder/service.log" 2>&1 &
    echo $! >"$folder/pid"
    echo "$port" >"$folder/port"
    for _ in $(seq 150); do
        curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
        alive "$folder/pid" || break
        sleep 0.2
    done
    echo "cluster: instance on port $port did not start; its log:" >&2
    tail -20 "$folder/service.log" >&2
    return 1
}

write_haproxy_config() {
    {
        cat <<CFG
# Written by setup/cluster.sh.
global
    maxconn 5000
defaults
    mode http
    option forwardfor
    option redispatch
    retries 3
    retry-on all-retryable-errors
    timeout connect 2s
    timeout client 120s
    timeout server 120s
frontend bootstrap
    bind 127.0.0.1:$front
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
CFG
        local i=1
        for folder in $(instances); do
            echo "    server instance-$i 127.0.0.1:$(cat "$folder/port") check"
            i=$((i + 1))
        done
    } >"$cluster/haproxy.cfg"
}

case "${1:-}" in
    up)
        count=${2:-3}
        [ "$count" -ge 1 ] 2>/dev/null || { echo "cluster: N must be a positive number" >&2; exit 2; }
        need_packages haproxy curl python3
        "$here/template.sh" >/dev/null
        mkdir -p "$cluster"
        [ -f "$cluster/api-token" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$cluster/api-token")
        "$here/postgres.sh" up "$(postgres_dir)" >"$cluster/postgres.url"
        [ -n "${CLUSTER_DLL:-}" ] || dotnet build "$repo/Bootstrap.Api" -c Release -v quiet -nologo >/dev/null
        for i in $(seq 1 "$count"); do
            mkdir -p "$cluster/instance-$i"
            start_instance "$cluster/instance-$i" $((first + i - 1))
        done
        write_haproxy_config
        stop_pid "$cluster/haproxy.pid"
        haproxy -c -q -f "$cluster/haproxy.cfg"
        nice -n "${CLUSTER_NICE:-0}" haproxy -D -f "$cluster/haproxy.cfg" -p "$cluster/haproxy.pid" </dev/null >"$cluster/haproxy.log" 2>&1
        for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$front/healthz" && break; sleep 0.2; done
        "$0" status
        ;;
    down)
        if [ ! -d "$cluster" ]; then
            echo "cluster: nothing to stop (no cluster was started here: $cluster does not exist)"
            exit 0
        fi
        stop_pid "$cluster/haproxy.pid"
        for folder in $(instances); do stop_pid "$folder/pid"; done
        pg=""
        if [ -f "$cluster/postgres.dir" ] || [ -d "$cluster/postgres" ]; then
            pg=$(postgres_dir)
            "$here/postgres.sh" down "$pg" >/dev/null
        fi
        echo "cluster: stopped (data kept in $cluster$([ -z "$pg" ] || [ "$pg" = "$cluster/postgres" ] || echo " and $pg"))"
        ;;
    status)
        running=0
        if { [ -f "$cluster/postgres.dir" ] || [ -d "$cluster/postgres" ]; } && "$here/postgres.sh" status "$(postgres_dir)" >/dev/null 2>&1; then
            echo "postgres   running  $("$here/postgres.sh" status "$(postgres_dir)" | sed 's/^postgres: running on //')"
            running=1
        else
            echo "postgres   stopped"
        fi
        for folder in $(instances); do
            port=$(cat "$folder/port" 2>/dev/null || echo "?")
            if alive "$folder/pid"; then
                health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
                echo "$(basename "$folder") running  127.0.0.1:$port pid $(cat "$folder/pid") healthz $health"
                running=1
            else
                echo "$(basename "$folder") stopped"
            fi
        done
        if alive "$cluster/haproxy.pid"; then
            echo "haproxy    running  127.0.0.1:$front pid $(cat "$cluster/haproxy.pid")"
            running=1
        else
            echo "haproxy    stopped"
        fi
        [ "$running" -eq 1 ] || exit 3
        ;;
    migrate)
        site_config=$(realpath "${2:-$repo/config.json}")
        [ -f "$site_config" ] || { echo "cluster: no config $site_config" >&2; exit 2; }
        for folder in $(instances); do
            if alive "$folder/pid"; then
                echo "cluster: instances are running; migrate into the cluster's database before its first up" >&2
                exit 1
            fi
        done
        need_packages python3
        mkdir -p "$cluster"
        "$here/postgres.sh" up "$(postgres_dir)" >"$cluster/postgres.url"
        [ -n "${CLUSTER_DLL:-}" ] || dotnet build "$repo/Bootstrap.Api" -c Release -v quiet -nologo >/dev/null
        echo "cluster: moving the site of $site_config into PostgreSQL"
        dotnet "$dll" move-to-postgres --config "$site_config" --connection-file "$cluster/postgres.url"
        ;;
    *)
        echo "usage: setup/cluster.sh up [N] | down | status | migrate [CONFIG]" >&2
        exit 2
        ;;
esac
