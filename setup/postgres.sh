#!/usr/bin/env bash
# A private PostgreSQL server from Debian's package, in a folder of its own (for the cluster, the
# tests and trying "storage": "postgres"), reachable on 127.0.0.1 only, password-protected:
#   setup/postgres.sh up DIR [PORT]   start it (made on first use; PORT defaults to the last one, else a free one)
#                                     and print its Npgsql connection string
#   setup/postgres.sh down DIR        stop it (the data stays in DIR/data)
#   setup/postgres.sh status DIR      say whether it runs, and where
#   setup/postgres.sh url DIR         print the connection string of a running server
# The superuser is "bootstrap", its password a random one kept in DIR/password (mode 600); the
# database "bootstrap" is made at first start. As root, the server runs as Debian's postgres user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() { echo "usage: setup/postgres.sh up|down|status|url DIR [PORT]" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1 dir=$2 port=${3:-}
need_packages postgresql
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
running() { [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }
url() { echo "Host=127.0.0.1;Port=$(cat "$dir/port");Username=bootstrap;Password=$(cat "$dir/password");Database=bootstrap"; }

case "$command" in
    up)
        if running; then url; exit 0; fi
        if [ ! -f "$dir/data/PG_VERSION" ]; then
            [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
            as_owner test -w "$dir" || { echo "postgres: the postgres user cannot write $dir (a folder above it is closed to it)" >&2; exit 1; }
            (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/password")
            [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/password"
            as_owner "$bin/initdb" -D "$dir/data" -U bootstrap --pwfile="$dir/password" --auth=scram-sha-256 \
                --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        fi
        [ -n "$port" ] || [ ! -f "$dir/port" ] || port=$(cat "$dir/port")   # the port the clients were given
        [ -n "$port" ] || port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        echo "$port" > "$dir/port"
        mkdir -p "$dir/run"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/run"
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/run -c max_connections=200 -c fsync=on" >/dev/null
        if ! PGPASSWORD=$(cat "$dir/password") "$bin/psql" -h 127.0.0.1 -p "$port" -U bootstrap -d postgres -tAc \
                "SELECT 1 FROM pg_database WHERE datname = 'bootstrap'" | grep -q 1; then
            PGPASSWORD=$(cat "$dir/password") "$bin/createdb" -h 127.0.0.1 -p "$port" -U bootstrap bootstrap
        fi
        url
        ;;
    down)
        if running; then as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >/dev/null; fi
        echo "postgres: stopped ($dir)"
        ;;
    status)
        if running; then echo "postgres: running on 127.0.0.1:$(cat "$dir/port") ($dir)"; else echo "postgres: stopped ($dir)"; exit 3; fi
        ;;
    url)
        running || { echo "postgres: not running in $dir" >&2; exit 3; }
        url
        ;;
    *) usage ;;
esac
