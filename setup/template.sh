#!/usr/bin/env bash
# Fills ipxe-template/ with the binary template the image builders pack:
#   iPXE (Debian trixie's prebuilt ipxe.lkrn, ipxe-amd64.efi, snponly.efi, undionly.kpxe),
#   isolinux.bin, ldlinux.c32 and isohdpfx.bin (this machine's isolinux/syslinux-common),
#   manifest.json (versions and sha256 of every file).
# Idempotent: when the manifest matches the files, it returns at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dest=${IPXE_TEMPLATE_DIR:-$repo/ipxe-template}
. "$here/lib.sh"

files=(ipxe.lkrn ipxe-amd64.efi snponly.efi undionly.kpxe isolinux.bin ldlinux.c32 isohdpfx.bin)

if [ -f "$dest/manifest.json" ] && command -v sha256sum >/dev/null &&
   (cd "$dest" && python3 - "${files[@]}" <<'PY'
import hashlib, json, sys
m = json.load(open("manifest.json"))
for name in sys.argv[1:]:
    if hashlib.sha256(open(name, "rb").read()).hexdigest() != m["files"][name]["sha256"]:
        sys.exit(1)
PY
   ) 2>/dev/null; then
    echo "template: $dest is up to date"
    exit 0
fi

need_packages isolinux syslinux-common ca-certificates python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "template: fetching iPXE from Debian trixie"
fetch_debian_package trixie ipxe "$work/ipxe"

mkdir -p "$dest"
for f in ipxe.lkrn ipxe-amd64.efi snponly.efi undionly.kpxe; do
    install -m 0644 "$work/ipxe/root/usr/lib/ipxe/$f" "$work/$f"
done
install -m 0644 /usr/lib/ISOLINUX/isolinux.bin "$work/isolinux.bin"
install -m 0644 /usr/lib/ISOLINUX/isohdpfx.bin "$work/isohdpfx.bin"
install -m 0644 /usr/lib/syslinux/modules/bios/ldlinux.c32 "$work/ldlinux.c32"

ipxe_version=$(cat "$work/ipxe/version")
syslinux_version=$(dpkg-query -W -f='${Version}' isolinux)
(cd "$work" && python3 - "$ipxe_version" "$syslinux_version" "${files[@]}" > manifest.json <<'PY'
import hashlib, json, os, sys
ipxe, syslinux, names = sys.argv[1], sys.argv[2], sys.argv[3:]
print(json.dumps({
    "kind": "binary",
    "ipxe-version": ipxe,
    "syslinux-version": syslinux,
    "files": {n: {"sha256": hashlib.sha256(open(n, "rb").read()).hexdigest(), "size": os.path.getsize(n)} for n in names},
}, indent=2))
PY
)
# Files first, manifest last: a service reading the folder meanwhile sees the old manifest fail its check.
for f in "${files[@]}"; do mv -f "$work/$f" "$dest/$f"; done
mv -f "$work/manifest.json" "$dest/manifest.json"
echo "template: $dest filled (iPXE $ipxe_version, syslinux $syslinux_version)"
