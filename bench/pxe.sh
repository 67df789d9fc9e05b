#!/usr/bin/env bash
# PXE on the wire (prints numbers; asserts nothing): the service's proxyDHCP and TFTP against
# Debian's dnsmasq in proxy + TFTP mode, same machine, same run. Each runs in a network namespace
# of its own (made here, deleted on exit) on its loopback, so both use the real ports 4011 and 69.
#   - proxyDHCP: boot-server requests (UDP 4011, answered to the sender; dnsmasq answers a
#     DISCOVER on 67 by broadcast, which a loopback client cannot receive): answers/s, p50, p99
#   - TFTP: snponly.efi at blksize 1468, without and with windowsize 8 (median of 15 reads, alternating)
#   - a boot storm on the service: CLIENTS simulated boots of DHCP -> TFTP -> script, p50/p99 per
#     phase, failures, the service's peak RSS. Goals: rate >= dnsmasq, p99 <= 1 ms; TFTP >=
#     dnsmasq; storm p99 under 2 s with no failure.
# Usage (root): bench/pxe.sh [dhcp requests, default 20000] [storm clients, default 2000]
set -euo pipefail
requests=${1:-20000}
clients=${2:-2000}
. "$(dirname "$0")/lib.sh"
need_packages dnsmasq-base iproute2 python3
load="$here/pxe_load.py"
ours="bstbench-$$-s" theirs="bstbench-$$-d"
cleanup() {
    kill "${pid:-}" "${dnsmasq_pid:-}" 2>/dev/null || true
    ip netns del "$ours" 2>/dev/null || true
    ip netns del "$theirs" 2>/dev/null || true
    rm -rf "$site"
}
trap cleanup EXIT
for ns in "$ours" "$theirs"; do ip netns add "$ns"; ip netns exec "$ns" ip link set lo up; done

python3 - "$site/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["pxe"] = {"enabled": True, "interface": "lo", "address": "127.0.0.1"}
json.dump(config, open(path, "w"))
PY
ip netns exec "$ours" dotnet "$dll" --config "$site/config.json" --urls http://127.0.0.1:5555 >"$site/service.log" 2>&1 &
pid=$!
for _ in $(seq 100); do ip netns exec "$ours" curl -fs -o /dev/null http://127.0.0.1:5555/healthz && break; sleep 0.2; done
grep -q "pxe: on 127.0.0.1" "$site/service.log" || { echo "bench: PXE did not start:" >&2; cat "$site/service.log" >&2; exit 1; }

mkdir -p "$site/tftp"
cp "$repo/ipxe-template/snponly.efi" "$site/tftp/"
ip netns exec "$theirs" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=lo --bind-interfaces --user=root \
    --dhcp-range=127.0.0.0,proxy --pxe-service=x86-64_EFI,boot,snponly --enable-tftp --tftp-root="$site/tftp" \
    --pid-file="$site/dnsmasq.pid" >"$site/dnsmasq.log" 2>&1 &
dnsmasq_pid=$!
sleep 1

in_ns() { ip netns exec "$1" python3 "$load" "${@:2}"; }
echo "== proxyDHCP: $requests boot-server requests, 64 outstanding"
in_ns "$ours" dhcp 2000 64 >/dev/null; in_ns "$theirs" dhcp 2000 64 >/dev/null   # warm-up
read -r our_rate our_p50 our_p99 our_lost < <(in_ns "$ours" dhcp "$requests" 64)
read -r their_rate their_p50 their_p99 their_lost < <(in_ns "$theirs" dhcp "$requests" 64)
printf 'service  %6s answers/s  p50 %s ms  p99 %s ms  unanswered %s\n' "$our_rate" "$our_p50" "$our_p99" "$our_lost"
printf 'dnsmasq  %6s answers/s  p50 %s ms  p99 %s ms  unanswered %s\n' "$their_rate" "$their_p50" "$their_p99" "$their_lost"
echo "ratio (service / dnsmasq) answers/s $(ratio "$our_rate" "$their_rate")"
echo "== proxyDHCP latency: 2000 requests, one at a time"
read -r _ our_p50 our_p99 _ < <(in_ns "$ours" dhcp 2000 1)
read -r _ their_p50 their_p99 _ < <(in_ns "$theirs" dhcp 2000 1)
printf 'service  p50 %s ms  p99 %s ms (goal: p99 at most 1 ms)\ndnsmasq  p50 %s ms  p99 %s ms\n' "$our_p50" "$our_p99" "$their_p50" "$their_p99"

echo "== TFTP: snponly.efi ($(stat -c %s "$site/tftp/snponly.efi") bytes), median of 15 reads, the two servers alternating"
# Warm-up, as for proxyDHCP: a running service has served transfers before (its code is compiled).
for _ in $(seq 40); do in_ns "$ours" tftp snponly.efi 1468 1 >/dev/null; in_ns "$theirs" tftp snponly.efi 1468 1 >/dev/null; done
for window in 1 8; do
    : >"$site/ours.t"; : >"$site/theirs.t"
    for _ in $(seq 15); do
        in_ns "$ours" tftp snponly.efi 1468 "$window" | cut -d' ' -f1 >>"$site/ours.t"
        in_ns "$theirs" tftp snponly.efi 1468 "$window" | cut -d' ' -f1 >>"$site/theirs.t"
    done
    ours_s=$(median <"$site/ours.t") theirs_s=$(median <"$site/theirs.t")
    echo "blksize 1468 windowsize $window: service ${ours_s} s, dnsmasq ${theirs_s} s, throughput ratio (service / dnsmasq) $(ratio "$theirs_s" "$ours_s")"
done

echo "== boot storm on the service: $clients clients, 64 at once"
in_ns "$ours" storm "$clients" 64 5555 snponly.efi
peak_rss
