#!/usr/bin/env bash
# Makes a *source template* in ipxe-template/ (0-bootstrap's production mode): an iPXE source tree,
# precompiled once for the targets the service builds, copied into a pool of worker trees (one per
# concurrent build) in which the service relinks iPXE per script with `make TARGET EMBED=script`.
#
# setup/template.sh --source GIT_URL_OR_IPXE_TREE [--cert FILE] [--trust FILE] [--workers N]
#   --cert/--trust  PEM files passed to make as CERT=/TRUST= (e.g. so iPXE trusts your HTTPS CA)
#   --workers N     concurrent builds (default: cores)
# Idempotent: the same source, certificates and worker count return at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dest=${IPXE_TEMPLATE_DIR:-$repo/ipxe-template}
. "$here/lib.sh"

source_arg="" cert="" trust="" workers=$(nproc)
while [ $# -gt 0 ]; do
    case "$1" in
        --cert) cert=$(realpath "$2"); shift 2 ;;
        --trust) trust=$(realpath "$2"); shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        -*) echo "source-template: unknown option $1" >&2; exit 2 ;;
        *) source_arg=$1; shift ;;
    esac
done
[ -n "$source_arg" ] || { echo "usage: setup/template.sh --source GIT_URL_OR_IPXE_TREE [--cert FILE] [--trust FILE] [--workers N]" >&2; exit 2; }
[ "$workers" -ge 1 ] 2>/dev/null || { echo "source-template: --workers must be a positive number" >&2; exit 2; }

need_packages gcc make perl liblzma-dev mtools binutils git isolinux syslinux-common python3
targets=(bin/ipxe.lkrn bin-x86_64-efi/ipxe.efi bin-x86_64-efi/snponly.efi)
static=(isolinux.bin ldlinux.c32 isohdpfx.bin)
identity=$(printf '%s\n' "$source_arg" "$cert" "$trust" "$workers" "${targets[@]}" \
    "$( [ -n "$cert" ] && sha256sum "$cert" )" "$( [ -n "$trust" ] && sha256sum "$trust" )" | sha256sum | cut -d' ' -f1)

if [ -f "$dest/manifest.json" ] && python3 - "$dest/manifest.json" "$identity" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(0 if m.get("kind") == "source" and m.get("source-identity") == sys.argv[2] else 1)
PY
then
    echo "template: source template in $dest is up to date"
    exit 0
fi

mkdir -p "$dest"
rm -rf "$dest/source.new"
mkdir -p "$dest/source.new"
tree0="$dest/source.new/tree-0"
if [ -d "$source_arg" ]; then
    echo "template: copying the iPXE tree $source_arg"
    mkdir -p "$tree0" && (cd "$source_arg" && tar --exclude=.git -cf - .) | (cd "$tree0" && tar -xf -)
    version=$(git -C "$source_arg" describe --always --tags 2>/dev/null ||
        awk -F' *= *' '/^VERSION_(MAJOR|MINOR|PATCH)/ {v = v (v ? "." : "") $2} END {print v " (local tree)"}' "$source_arg/src/Makefile")
else
    echo "template: cloning $source_arg"
    git clone --quiet --depth 1 "$source_arg" "$tree0"
    version=$(git -C "$tree0" describe --always --tags)
    rm -rf "$tree0/.git"
fi
[ -f "$tree0/src/Makefile" ] || { echo "source-template: $source_arg is not an iPXE tree (no src/Makefile)" >&2; exit 1; }

# Precompile with a placeholder script, so a request only rebuilds embedded.o and relinks.
placeholder="$dest/source.new/placeholder.ipxe"
printf '#!ipxe\necho source template placeholder\n' > "$placeholder"
make_args=(NO_WERROR=1 "EMBED=$placeholder")
[ -n "$cert" ] && make_args+=("CERT=$cert")
[ -n "$trust" ] && make_args+=("TRUST=$trust")
echo "template: precompiling ${targets[*]} (a few minutes)"
start=$(date +%s)
make -s -C "$tree0/src" -j"$(nproc)" "${make_args[@]}" "${targets[@]}" >/dev/null
echo "template: precompiled in $(( $(date +%s) - start )) s"
worker_list=("source/tree-0")
for i in $(seq 1 $((workers - 1))); do
    cp -a "$tree0" "$dest/source.new/tree-$i"
    worker_list+=("source/tree-$i")
done

install -m 0644 /usr/lib/ISOLINUX/isolinux.bin "$dest/isolinux.bin"
install -m 0644 /usr/lib/ISOLINUX/isohdpfx.bin "$dest/isohdpfx.bin"
install -m 0644 /usr/lib/syslinux/modules/bios/ldlinux.c32 "$dest/ldlinux.c32"
DEST="$dest" python3 - "$version" "$identity" "$cert" "$trust" "${#worker_list[@]}" "${worker_list[@]}" "${static[@]}" > "$dest/source.new/manifest.json" <<'PY'
import hashlib, json, os, sys
version, identity, cert, trust, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
workers, static = sys.argv[6:6 + n], sys.argv[6 + n:]
dest = os.environ.get("DEST")
print(json.dumps({
    "kind": "source",
    "ipxe-version": version,
    "source-identity": identity,
    "workers": workers,
    "cert": cert or None,
    "trust": trust or None,
    "make": "make",
    "make-timeout-seconds": 300,
    "files": {f: {"sha256": hashlib.sha256(open(os.path.join(dest, f), "rb").read()).hexdigest()} for f in static},
}, indent=2))
PY
# Swap in the new trees, then the manifest that names them.
rm -rf "$dest/source"
mv "$dest/source.new" "$dest/source"
mv "$dest/source/manifest.json" "$dest/manifest.json"
echo "template: source template in $dest ready (iPXE $version, ${#worker_list[@]} worker trees)"
