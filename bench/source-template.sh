#!/usr/bin/env bash
# What a source template costs (prints numbers; asserts nothing). Needs an iPXE tree:
#   IPXE_SOURCE_TREE=~/ipxe bench/source-template.sh
# Two services on one template made by setup/template.sh --source: one patches the placeholder (the
# service as it is), the reference relinks with make for every script (the same template with its
# patch list removed, i.e. the service before patching, and what 0-bootstrap does minus its tree
# copy). Per target: cold = a new farm id (median of 9 patched, 3 make), cached = median of 20
# repeats; then 4 different /iso at once, and the .lkrn's packing step run by the tree's own zbin as
# a process beside a whole cold /krn (our in-process zbin with the lzma-resume helper).
set -euo pipefail
if [ -z "${IPXE_SOURCE_TREE:-}" ]; then
    echo "source template: skipped (set IPXE_SOURCE_TREE to an iPXE tree to measure it)"
    exit 0
fi
. "$(dirname "$0")/lib.sh"
template="$site/source-template"
IPXE_TEMPLATE_DIR="$template" "$repo/setup/template.sh" --source "$IPXE_SOURCE_TREE" --workers "$(nproc)" >/dev/null
# The reference: the same trees and files, named by absolute path, and no patch list.
mkdir -p "$site/make-template"
cp "$template"/{isolinux.bin,ldlinux.c32,isohdpfx.bin} "$site/make-template/"
python3 - "$template" "$site/make-template/manifest.json" <<'PY'
import json, os, sys
template, out = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(template, "manifest.json")))
m["workers"] = [os.path.join(template, w) for w in m["workers"]]
for key in ("placeholder", "patchable", "patch-files"):
    m.pop(key)
json.dump(m, open(out, "w"))
PY
python3 - "$site" <<'PY'
import json, sys
site = sys.argv[1]
c = json.load(open(f"{site}/config.json"))
c.update({"ipxe-template": f"{site}/source-template", "max-concurrent-builds": 4, "api-token": "bench-token-0123456789"})
json.dump(c, open(f"{site}/config.json", "w"))
c.update({"ipxe-template": f"{site}/make-template", "cache-path": "cache-make", "bootstrap-db": "db/make.sqlite3"})
json.dump(c, open(f"{site}/config-make.json", "w"))
PY
start_service
patched=$base
start_second_service "$site/config-make.json"
made=$second
for t in uefi krn iso; do curl -fs -o /dev/null "$patched/$t/prod/1"; curl -fs -o /dev/null "$made/$t/prod/1"; done   # JIT, first make
lkrn_packing() { curl -fs -H "Authorization: Bearer bench-token-0123456789" "$patched/healthz" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("checks", {}).get("lkrn-packing", "?"))'; }
for _ in $(seq 50); do [ "$(lkrn_packing)" = lzma-resume ] && break; sleep 0.2; done
echo "== .lkrn packing: $(lkrn_packing)"

build_of() { curl -fs -o /dev/null -D - "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-build" {print $2}'; }

echo "== source template, one request at a time (ms)"
printf '%-8s %10s %10s %10s %8s\n' target patched cached make ratio
farm=1000
for target in uefi snponly krn iso usb; do
    farm=$((farm + 100))
    [ "$(build_of "$patched/$target/prod/$farm")" = patched ] || { echo "bench: /$target was not patched" >&2; exit 1; }
    cold=$(for i in $(seq 9); do ms "$patched/$target/prod/$((farm + i))"; done | median)
    cached=$(for _ in $(seq 20); do ms "$patched/$target/prod/$farm"; done | median)
    reference=$(for i in $(seq 3); do ms "$made/$target/prod/$((farm + i))"; done | median)
    printf '%-8s %10s %10s %10s %7sx\n' "$target" "$cold" "$cached" "$reference" "$(awk -v a="$reference" -v b="$cold" 'BEGIN {printf "%.0f", a / b}')"
done

four_at_once() {
    local start end
    start=$(date +%s.%N)
    for i in 1 2 3 4; do curl -fs -o /dev/null "$1/iso/prod/$(( $2 + i ))" & done
    wait
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", (e - s) * 1000}'
}
echo "== 4 different /iso at once (ms, all four done; median of 3 rounds)"
p=$(for r in 1 2 3; do four_at_once "$patched" $((5000 + r * 10)); echo; done | median)
m=$(for r in 1 2 3; do four_at_once "$made" $((6000 + r * 10)); echo; done | median)
printf 'patched %8s   make %8s   ratio %sx\n' "$p" "$m" "$(awk -v a="$m" -v b="$p" 'BEGIN {printf "%.0f", a / b}')"

echo "== the .lkrn's packing step (ms, median of 9)"
tree0="$template/source/tree-0/src"
for _ in $(seq 9); do
    s=$(date +%s%N); "$tree0/util/zbin32" "$template/source/patch/ipxe.lkrn.bin" "$template/source/patch/ipxe.lkrn.zinfo" >/dev/null; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
done | median | xargs printf "tree's zbin as a process    %8s\n"
for i in $(seq 9); do ms "$patched/krn/prod/$((7000 + i))"; done | median | xargs printf 'cold /krn, our zbin + lzma-resume %8s  (the whole request)\n'
