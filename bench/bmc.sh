#!/usr/bin/env bash
# Bulk provisioning through BMCs (prints numbers; asserts nothing): COUNT real IPMI LAN BMCs
# (OpenIPMI's ipmi_sim on 127.0.0.1, a chassis program that keeps power and boot device in files),
# one machine each. Measured in the same run: one machine's provision (the reference), then all
# COUNT in one POST /api/machines/provision at bmc-concurrency 8. With perfect overlap the bulk
# takes COUNT/8 times one machine: the ratio printed is bulk / (COUNT/8 x one). Goal: at most 1.5.
# A real BMC takes a while to act on its chassis; ipmi_sim none, and its CPU is this machine's:
# the chassis program waits LATENCY seconds per call (default 0.3), as a BMC does, so the bench
# measures how well the service overlaps waiting BMCs rather than how fast this host forks.
# Usage: bench/bmc.sh [count, default 40] [latency seconds, default 0.3]
set -euo pipefail
count=${1:-40}
latency=${2:-0.3}
. "$(dirname "$0")/lib.sh"
need_packages ipmitool openipmi python3
token=bench-token-$$
sims=()
cleanup() {
    kill "${pid:-}" "${sims[@]}" 2>/dev/null || true
    rm -rf "$site"
}
trap cleanup EXIT

python3 - "$site/config.json" "$token" <<'PY'
import json, sys
path, token = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config.update({"api-token": token, "bmc-concurrency": 8, "bmc-power-refresh-seconds": 0, "admin-requests-per-minute": 1000000})
json.dump(config, open(path, "w"))
PY
start_service

# One ipmi_sim per machine: its folder holds lan.conf, bmc.emu, the chassis program and its state.
start_bmc() {
    local dir=$site/bmc$1 port=$2
    mkdir -p "$dir/state"
    cat > "$dir/chassis" <<SH
#!/bin/sh
dir='$dir'
sleep $latency
shift
verb=\$1; shift
if [ "\$verb" = get ]; then
    for name in "\$@"; do
        case \$name in
            power) echo "power:\$(cat "\$dir/power" 2>/dev/null || echo 0)" ;;
            boot) echo "boot:\$(cat "\$dir/boot" 2>/dev/null || echo default)" ;;
        esac
    done
else
    while [ \$# -ge 2 ]; do echo "\$2" >"\$dir/\$1"; shift 2; done
fi
SH
    chmod +x "$dir/chassis"
    cat > "$dir/lan.conf" <<CONF
name "bench"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $port
    priv_limit admin
    allowed_auths_callback none
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid $(printf '%032x' "$1")
  endlan
  chassis_control "$dir/chassis 0x20"
user 2 true "admin" "bench-Pa55" admin 10 md5
CONF
    printf 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nsel_enable 0x20 1000 0x0a\nmc_enable 0x20\n' > "$dir/bmc.emu"
    ipmi_sim -c "$dir/lan.conf" -f "$dir/bmc.emu" -s "$dir/state" -n </dev/null >"$dir/log" 2>&1 &
    sims+=($!)
}

mac() { printf '52:54:00:be:%02x:%02x\n' $(($1 / 256)) $(($1 % 256)); }
echo "== $count IPMI BMCs (ipmi_sim) on 127.0.0.1, $latency s per chassis call"
for i in $(seq 0 $((count - 1))); do
    port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    start_bmc "$i" "$port"
    curl -fs -o /dev/null -H "Authorization: Bearer $token" -X PUT "$base/api/machines/$(mac "$i")/bmc" \
        -d "{\"type\":\"ipmi\",\"address\":\"127.0.0.1\",\"port\":$port,\"username\":\"admin\",\"password\":\"bench-Pa55\"}"
done
sleep 1   # every ipmi_sim listening

# Seconds one provision of machines FIRST..LAST takes; fails when any machine failed.
provision() {
    local body
    body=$(python3 -c 'import json,sys; print(json.dumps({"machines": [{"mac": m} for m in sys.argv[1:]]}))' $(for i in $(seq "$1" "$2"); do mac "$i"; done))
    curl -fsS -o "$site/answer.json" -w '%{time_total}\n' -H "Authorization: Bearer $token" -X POST "$base/api/machines/provision" -d "$body"
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if a["failed"] == 0 else "bench: " + json.dumps(a))' "$site/answer.json"
}
provision 0 0 >/dev/null   # warm-up: the first ipmitool runs and the JIT
one=$(median_of $(provision 0 0) $(provision 1 1) $(provision 2 2))
bulk=$(median_of $(provision 0 $((count - 1))) $(provision 0 $((count - 1))) $(provision 0 $((count - 1))))
echo "one machine:   $one s (median of 3)"
echo "$count machines: $bulk s (median of 3, bmc-concurrency 8)"
echo "ratio bulk / ($count/8 x one) $(awk -v b="$bulk" -v o="$one" -v n="$count" 'BEGIN {printf "%.2f", b / (n / 8 * o)}') (goal: at most 1.5)"
