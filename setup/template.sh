#!/usr/bin/env bash
# Fills ipxe-template/ with the binary template the image builders pack:
#   iPXE (Debian trixie's prebuilt ipxe.lkrn, ipxe-amd64.efi, snponly.efi, undionly.kpxe, and ipxe-arm64.efi for ARM64 UEFI),
#   isolinux.bin, ldlinux.c32 and isohdpfx.bin (this machine's isolinux/syslinux-common),
#   ipxe-wrapper.efi and ipxe-wrapper-arm64.efi (our setup/efi-wrapper, built here with Debian's gnu-efi;
#   the ARM64 one cross-compiled with Debian's gcc-aarch64-linux-gnu and trixie's arm64 gnu-efi package),
#   for the Secure Boot images: Debian trixie's Microsoft-signed shim (shimx64.efi) and MokManager
#   (mmx64.efi), and its signed GRUB netboot image (grubnetx64.efi: http, efinet, net_bootp built in),
#   manifest.json (versions and sha256 of every file).
# Idempotent: when the manifest matches the files, it returns at once.
#
# setup/template.sh --source GIT_URL_OR_IPXE_TREE [--cert FILE] [--trust FILE] [--workers N] [--placeholder-bytes N]
#   makes a source template instead (see setup/source-template.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dest=${IPXE_TEMPLATE_DIR:-$repo/ipxe-template}
. "$here/lib.sh"

if [ "${1:-}" = "--source" ]; then
    exec "$here/source-template.sh" "${@:2}"
elif [ $# -gt 0 ]; then
    echo "usage: setup/template.sh [--source GIT_URL_OR_IPXE_TREE [--cert FILE] [--trust FILE] [--workers N] [--placeholder-bytes N]]" >&2
    exit 2
fi

files=(ipxe.lkrn ipxe-amd64.efi ipxe-arm64.efi snponly.efi undionly.kpxe isolinux.bin ldlinux.c32 isohdpfx.bin ipxe-wrapper.efi
       ipxe-wrapper-arm64.efi shimx64.efi mmx64.efi grubnetx64.efi)
wrapper_source=$(cat "$here/efi-wrapper/wrapper.c" "$here/efi-wrapper/Makefile" | sha256sum | cut -d' ' -f1)

if [ -f "$dest/manifest.json" ] && command -v sha256sum >/dev/null &&
   (cd "$dest" && python3 - "$wrapper_source" "${files[@]}" <<'PY'
import hashlib, json, sys
m = json.load(open("manifest.json"))
if m.get("wrapper-source-sha256") != sys.argv[1]:
    sys.exit(1)
for name in sys.argv[2:]:
    if hashlib.sha256(open(name, "rb").read()).hexdigest() != m["files"][name]["sha256"]:
        sys.exit(1)
PY
   ) 2>/dev/null; then
    echo "template: $dest is up to date"
    exit 0
fi

need_packages isolinux syslinux-common ca-certificates python3 gnu-efi gcc make binutils gcc-aarch64-linux-gnu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "template: fetching iPXE from Debian trixie"
fetch_debian_package trixie ipxe "$work/ipxe"
echo "template: fetching the signed shim, MokManager and GRUB from Debian trixie"
fetch_debian_package trixie shim-signed "$work/shim"
fetch_debian_package trixie shim-helpers-amd64-signed "$work/shim-helpers"
fetch_debian_package trixie grub-efi-amd64-signed "$work/grub"

mkdir -p "$dest"
for f in ipxe.lkrn ipxe-amd64.efi ipxe-arm64.efi snponly.efi undionly.kpxe; do
    install -m 0644 "$work/ipxe/root/usr/lib/ipxe/$f" "$work/$f"
done
install -m 0644 "$work/shim/root/usr/lib/shim/shimx64.efi.signed" "$work/shimx64.efi"
install -m 0644 "$work/shim-helpers/root/usr/lib/shim/mmx64.efi.signed" "$work/mmx64.efi"
install -m 0644 "$work/grub/root/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed" "$work/grubnetx64.efi"
install -m 0644 /usr/lib/ISOLINUX/isolinux.bin "$work/isolinux.bin"
install -m 0644 /usr/lib/ISOLINUX/isohdpfx.bin "$work/isohdpfx.bin"
install -m 0644 /usr/lib/syslinux/modules/bios/ldlinux.c32 "$work/ldlinux.c32"

echo "template: fetching gnu-efi for arm64 from Debian trixie"
mkdir -p "$work/gnu-efi-arm64/cache"
fetch_debian_package trixie gnu-efi "$work/gnu-efi-arm64" arm64
echo "template: building the EFI wrapper for x86-64 and ARM64"
make -s -C "$here/efi-wrapper" OUT="$work" >/dev/null
# gnu-efi's aarch64 linker script makes one writable and executable segment, as its loader expects: ld says so, harmlessly.
make -s -C "$here/efi-wrapper" OUT="$work" ARCH=aarch64 GNU_EFI="$work/gnu-efi-arm64/root" 2> >(grep -v 'LOAD segment with RWX' >&2) >/dev/null

ipxe_version=$(cat "$work/ipxe/version")
shim_version=$(cat "$work/shim/version")
grub_version=$(cat "$work/grub/version")
syslinux_version=$(dpkg-query -W -f='${Version}' isolinux)
gnu_efi_version=$(dpkg-query -W -f='${Version}' gnu-efi)
(cd "$work" && python3 - "$ipxe_version" "$syslinux_version" "$gnu_efi_version" "$wrapper_source" "$shim_version" "$grub_version" "${files[@]}" > manifest.json <<'PY'
import hashlib, json, os, sys
ipxe, syslinux, gnu_efi, wrapper_source, shim, grub, names = *sys.argv[1:7], sys.argv[7:]
print(json.dumps({
    "kind": "binary",
    "ipxe-version": ipxe,
    "syslinux-version": syslinux,
    "gnu-efi-version": gnu_efi,
    "wrapper-source-sha256": wrapper_source,
    "shim-version": shim,
    "grub-version": grub,
    "files": {n: {"sha256": hashlib.sha256(open(n, "rb").read()).hexdigest(), "size": os.path.getsize(n)} for n in names},
}, indent=2))
PY
)
# Files first, manifest last: a service reading the folder meanwhile sees the old manifest fail its check.
for f in "${files[@]}"; do mv -f "$work/$f" "$dest/$f"; done
mv -f "$work/manifest.json" "$dest/manifest.json"
rm -rf "$dest/source"   # a source template this replaces
echo "template: $dest filled (iPXE $ipxe_version, syslinux $syslinux_version)"
