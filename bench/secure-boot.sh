#!/usr/bin/env bash
# What Secure Boot costs (prints numbers; asserts nothing): cold /iso-sb (only its grub.cfg and
# iPXE script change per request), cold /uefi built unsigned and signed with a site key (two
# services on the same machine, requests interleaved so drift touches both alike), and a kernel
# fetched signed the first time (signed once per content) and then from the cache, beside the
# unsigned file. Medians of 15 cold builds (new farm ids) and 10 cached fetches.
# Usage: bench/secure-boot.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_packages openssl
debian_kernel "$repo" >/dev/null   # a real EFI-stub kernel: only a PE image can carry a signature
cp "$repo/.cache/vmlinuz" "$site/kernels/zos.efi"
"$repo/setup/site-key.sh" --out "$site/keys" --subject "/CN=Bootstrap bench site key" >/dev/null
python3 - "$site" <<'PY'
import json, sys
site = sys.argv[1]
c = json.load(open(f"{site}/config.json"))
c.update({"secure-boot-key": f"{site}/keys/site.key", "secure-boot-cert": f"{site}/keys/site.pem",
          "cache-path": "cache-signed", "bootstrap-db": "db/signed.sqlite3"})
json.dump(c, open(f"{site}/config-signed.json", "w"))
PY
start_service
plain=$base
start_second_service "$site/config-signed.json"
signed=$second
curl -fs -o /dev/null "$plain/uefi/prod/1"; curl -fs -o /dev/null "$signed/uefi/prod/1"; curl -fs -o /dev/null "$plain/iso-sb/prod/1"   # JIT

echo "== cold builds (ms, median of 15 new farm ids)"
for i in $(seq 15); do ms "$plain/iso-sb/prod/$((3000 + i))"; done | median | xargs printf 'iso-sb            %8s\n'
for i in $(seq 15); do ms "$plain/iso/prod/$((4000 + i))"; done | median | xargs printf 'iso (reference)   %8s\n'
unsigned_times=() signed_times=()
for i in $(seq 15); do
    unsigned_times+=("$(ms "$plain/uefi/prod/$((5000 + i))")")
    signed_times+=("$(ms "$signed/uefi/prod/$((5000 + i))")")
done
u=$(printf '%s\n' "${unsigned_times[@]}" | median); s=$(printf '%s\n' "${signed_times[@]}" | median)
printf 'uefi unsigned     %8s\nuefi signed       %8s\nsigning cost      %8s ms\n' "$u" "$s" "$(awk -v a="$s" -v b="$u" 'BEGIN {printf "%.1f", a - b}')"

echo "== kernel $(stat -c %s "$site/kernels/zos.efi") bytes (ms)"
printf 'first signed fetch %7s\n' "$(ms "$signed/kernel/net/prod.efi")"
for _ in $(seq 10); do ms "$signed/kernel/net/prod.efi"; done | median | xargs printf 'cached signed      %7s\n'
for _ in $(seq 10); do ms "$plain/kernel/net/prod.efi"; done | median | xargs printf 'unsigned file      %7s\n'
