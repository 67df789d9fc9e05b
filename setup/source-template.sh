#!/usr/bin/env bash
# Makes a *source template* in ipxe-template/ (0-bootstrap's production mode): iPXE built from
# source with the script compiled in. Each target is precompiled once with an 8 KiB placeholder
# script (Bootstrap.Builder/Images/Templates/EmbeddedScript.cs says why that size); per request the service
# writes the script over the placeholder: EFI files directly, the BIOS .lkrn in its uncompressed
# link output (bin/ipxe.lkrn.bin) before packing it again as iPXE's zbin does, where our lzma-resume
# helper compresses only what follows the script. The precompiled tree
# is also copied into a pool of worker trees (one per concurrent build) where the service still runs
# `make TARGET EMBED=script` for a script longer than the placeholder.
#
# setup/template.sh --source GIT_URL_OR_IPXE_TREE [--cert FILE] [--trust FILE] [--workers N] [--placeholder-bytes N]
#   --cert/--trust  PEM files passed to make as CERT=/TRUST= (e.g. so iPXE trusts your HTTPS CA;
#                   --cert defaults to the --trust file, since servers do not send their root;
#                   iPXE builds HTTPS into EFI binaries only unless the tree's config/local/general.h
#                   defines DOWNLOAD_PROTO_HTTPS)
#   --workers N     concurrent make builds (default: cores)
#   --placeholder-bytes N  the placeholder's size (default 8192); a longer script is built with make
# Idempotent: the same source, certificates and worker count return at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dest=${IPXE_TEMPLATE_DIR:-$repo/ipxe-template}
. "$here/lib.sh"

source_arg="" cert="" trust="" workers=$(nproc) placeholder_size=8192   # EmbeddedScript.PlaceholderLength
while [ $# -gt 0 ]; do
    case "$1" in
        --cert) cert=$(realpath "$2"); shift 2 ;;
        --trust) trust=$(realpath "$2"); shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        --placeholder-bytes) placeholder_size=$2; shift 2 ;;
        -*) echo "source-template: unknown option $1" >&2; exit 2 ;;
        *) source_arg=$1; shift ;;
    esac
done
# A server never sends its root: iPXE validates a chain only to a root it holds, so a trusted CA is
# also embedded (CERT=) unless --cert names the certificates to embed.
[ -z "$trust" ] || [ -n "$cert" ] || cert=$trust
[ -n "$source_arg" ] || { echo "usage: setup/template.sh --source GIT_URL_OR_IPXE_TREE [--cert FILE] [--trust FILE] [--workers N] [--placeholder-bytes N]" >&2; exit 2; }
[ "$workers" -ge 1 ] 2>/dev/null || { echo "source-template: --workers must be a positive number" >&2; exit 2; }
[ "$placeholder_size" -ge 256 ] 2>/dev/null || { echo "source-template: --placeholder-bytes must be 256 or more" >&2; exit 2; }

need_packages gcc make perl liblzma-dev mtools binutils git isolinux syslinux-common python3
targets=(bin/ipxe.lkrn bin-x86_64-efi/ipxe.efi bin-x86_64-efi/snponly.efi)
# The .lkrn's link output and packing records: make deletes them as intermediates unless asked for.
lkrn_parts=(bin/ipxe.lkrn.bin bin/ipxe.lkrn.zinfo)
static=(isolinux.bin ldlinux.c32 isohdpfx.bin)
identity=$(printf '%s\n' "$source_arg" "$cert" "$trust" "$workers" "${targets[@]}" "$placeholder_size" \
    "$(sha256sum < "$repo/Bootstrap.Builder/Images/Formats/Zbin/lzma-resume.c")" \
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

# Precompile with the placeholder, named as every per-request script is named (iPXE names the
# embedded image after its file).
patch="$dest/source.new/patch"
mkdir -p "$patch"
placeholder="$patch/bootstrap.ipxe"
python3 - "$placeholder" "$placeholder_size" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2])
head = b"#!ipxe\n# bootstrap source template placeholder: each request's script is written over these bytes\n"
line = b"#" * 63 + b"\n"
body = head + line * ((size - len(head)) // len(line) + 1)
open(path, "wb").write(body[:size - 1] + b"\n")
PY
# One build time for the precompile and every later make, so a make-built binary differs from a
# patched one only in iPXE's build id (a checksum of make's inputs).
epoch=$(date +%s)
make_args=(NO_WERROR=1 "EMBED=$placeholder" "SOURCE_DATE_EPOCH=$epoch")
[ -n "$cert" ] && make_args+=("CERT=$cert")
[ -n "$trust" ] && make_args+=("TRUST=$trust")
echo "template: precompiling ${targets[*]} (a few minutes)"
start=$(date +%s)
make -s -C "$tree0/src" -j"$(nproc)" "${make_args[@]}" "${targets[@]}" "${lkrn_parts[@]}" >/dev/null
echo "template: precompiled in $(( $(date +%s) - start )) s"
cp "$tree0/src/bin/ipxe.lkrn.bin" "$tree0/src/bin/ipxe.lkrn.zinfo" "$patch/"
cp "$tree0/src/bin-x86_64-efi/ipxe.efi" "$patch/ipxe-amd64.efi"
cp "$tree0/src/bin-x86_64-efi/snponly.efi" "$patch/snponly.efi"
# Patching the .lkrn is only exact when packing its link output is all that makes it (no later step).
"$tree0/src/util/zbin32" "$patch/ipxe.lkrn.bin" "$patch/ipxe.lkrn.zinfo" | cmp -s - "$tree0/src/bin/ipxe.lkrn" ||
    { echo "source-template: bin/ipxe.lkrn is not just zbin of bin/ipxe.lkrn.bin in this tree" >&2; exit 1; }
# The helper that repacks the .lkrn compressing only what follows the script (ResumableLzma.cs).
build_lzma_resume "$repo" "$patch/lzma-resume"
worker_list=("source/tree-0")
for i in $(seq 1 $((workers - 1))); do
    cp -a "$tree0" "$dest/source.new/tree-$i"
    worker_list+=("source/tree-$i")
done

install -m 0644 /usr/lib/ISOLINUX/isolinux.bin "$dest/isolinux.bin"
install -m 0644 /usr/lib/ISOLINUX/isohdpfx.bin "$dest/isohdpfx.bin"
install -m 0644 /usr/lib/syslinux/modules/bios/ldlinux.c32 "$dest/ldlinux.c32"
DEST="$dest" EPOCH="$epoch" python3 - "$version" "$identity" "$cert" "$trust" "${#worker_list[@]}" "${worker_list[@]}" "${static[@]}" > "$dest/source.new/manifest.json" <<'PY'
import hashlib, json, os, sys
version, identity, cert, trust, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
workers, static = sys.argv[6:6 + n], sys.argv[6 + n:]
dest = os.environ.get("DEST")
sha = lambda path: hashlib.sha256(open(path, "rb").read()).hexdigest()
patch = os.path.join(dest, "source.new", "patch")
placeholder = open(os.path.join(patch, "bootstrap.ipxe"), "rb").read()
patchable = {}
for name, image, zinfo in [("ipxe.lkrn", "ipxe.lkrn.bin", "ipxe.lkrn.zinfo"),
                           ("ipxe-amd64.efi", "ipxe-amd64.efi", None), ("snponly.efi", "snponly.efi", None)]:
    data = open(os.path.join(patch, image), "rb").read()
    if data.count(placeholder) != 1:
        sys.exit(f"source-template: {image} holds the placeholder {data.count(placeholder)} times, not once")
    patchable[name] = {"image": "source/patch/" + image, "offset": data.find(placeholder)}
    if zinfo:
        patchable[name]["zinfo"] = "source/patch/" + zinfo
print(json.dumps({
    "kind": "source",
    "ipxe-version": version,
    "source-identity": identity,
    "workers": workers,
    "cert": cert or None,
    "trust": trust or None,
    "make": "make",
    "make-timeout-seconds": 300,
    "source-date-epoch": int(os.environ["EPOCH"]),
    "files": {f: {"sha256": sha(os.path.join(dest, f))} for f in static},
    "placeholder": "source/patch/bootstrap.ipxe",
    "patchable": patchable,
    "lzma-resume": "source/patch/lzma-resume",
    "patch-files": {"source/patch/" + f: {"sha256": sha(os.path.join(patch, f))} for f in sorted(os.listdir(patch))},
}, indent=2))
PY
# Swap in the new trees, then the manifest that names them.
rm -rf "$dest/source"
mv "$dest/source.new" "$dest/source"
mv "$dest/source/manifest.json" "$dest/manifest.json"
echo "template: source template in $dest ready (iPXE $version, ${#worker_list[@]} worker trees)"
