#!/usr/bin/env bash
# Builds the discovery OS (docs/machines.md): Debian's kernel and an initrd holding Debian's
# busybox, the kernel's NIC and disk drivers, and our agent (setup/discovery/init), which posts the
# machine's inventory to the service and waits for its assignment. Everything comes from Debian's
# packages, fetched through this machine's own apt mirror; nothing is installed on the system.
# Usage: setup/discovery.sh [OUT_DIR] [--arch arm64]   (default: discovery-image/, git-ignored)
# Then set "discovery-image": "<OUT_DIR>" in config.json. With --arch arm64 it builds the same OS
# from Debian's arm64 packages into OUT_DIR/arm64/, which ARM64 machines boot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/lib.sh"
out=$(realpath -m "${1:-$repo/discovery-image}")
arch=""; flavour=amd64
if [ "${2:-}" = --arch ] && [ "${3:-}" = arm64 ]; then
    arch=arm64; flavour=arm64; out="$out/arm64"
elif [ $# -gt 1 ]; then
    echo "usage: setup/discovery.sh [OUT_DIR] [--arch arm64]" >&2
    exit 2
fi
need_packages cpio gzip kmod

if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ] && [ "$out/initrd.img" -nt "$here/discovery/init" ]; then
    echo "discovery: $out is up to date"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "discovery: fetching Debian's ${arch:-amd64} kernel and busybox"
mkdir -p "$work/meta/cache" "$work/kernel/cache" "$work/busybox/cache"
fetch_debian_package bookworm "linux-image-$flavour" "$work/meta" $arch
versioned=$(dpkg-deb -f "$work"/meta/linux-image-"$flavour"_*.deb Depends | grep -o "linux-image-[0-9][^ ,]*-$flavour" | head -n 1)
fetch_debian_package bookworm "$versioned" "$work/kernel" $arch
fetch_debian_package bookworm busybox-static "$work/busybox" $arch
release=${versioned#linux-image-}
modules="$work/kernel/root/lib/modules/$release"
depmod -b "$work/kernel/root" "$release"   # the package leaves modules.dep to the installing system

root="$work/initrd"
mkdir -p "$root/bin" "$root/lib/modules/$release" "$root/usr/share/udhcpc"
cp "$work/busybox/root/bin/busybox" "$root/bin/busybox"
cp "$here/discovery/init" "$root/init"
# udhcpc's default script: configure the address and the default route it was given.
cat > "$root/usr/share/udhcpc/default.script" <<'SCRIPT'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr flush dev "$interface"
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
exit 0
SCRIPT
chmod +x "$root/usr/share/udhcpc/default.script"

# The wanted drivers and everything they depend on (modules.dep), at their paths, so modprobe finds them.
wanted="e1000 e1000e igb ixgbe virtio_pci virtio_net virtio_blk ata_piix ahci nvme sd_mod"
needed=$(for m in $wanted; do
    line=$(grep -E "/${m//_/[_-]}\.ko(\.xz)?:" "$modules/modules.dep" || true)
    [ -n "$line" ] && echo "$line" | tr -d ':' | tr ' ' '\n'
done | sort -u)
for path in $needed; do
    mkdir -p "$root/lib/modules/$release/$(dirname "$path")"
    cp "$modules/$path" "$root/lib/modules/$release/$path"
done
cp "$modules"/modules.dep "$modules"/modules.alias "$modules"/modules.builtin "$root/lib/modules/$release/" 2>/dev/null || true

mkdir -p "$out"
cp "$work"/kernel/root/boot/vmlinuz-* "$out/vmlinuz.tmp"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initrd.img.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "discovery: built $out (kernel $release, initrd $(du -h "$out/initrd.img" | cut -f1) with $(echo "$needed" | wc -w) modules)"
