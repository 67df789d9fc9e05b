# Shared helpers of the setup scripts (sourced, not run).

# Installs the Debian packages that are not installed yet; apt-get update runs once, only if needed.
need_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Downloads Debian package $2 of suite $1 into folder $3 and unpacks it to $3/root, without touching
# the system's apt sources: a private sources list points at the mirror this machine already uses.
# An optional $4 names another architecture (arm64): its package lists are kept apart in $3 too.
fetch_debian_package() {
    local suite=$1 package=$2 dir=$3 arch=${4:-}
    local uri
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || { echo "setup: no Debian mirror found in the apt configuration" >&2; return 1; }
    mkdir -p "$dir/lists/partial"
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg%s] %s %s main\n' "${arch:+ arch=$arch}" "$uri" "$suite" > "$dir/sources.list"
    local o=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$dir/lists"
             -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
    # Another architecture's lists must not reach the system's package cache (it is rebuilt from the lists it reads).
    [ -z "$arch" ] || o+=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch" -o "Dir::Cache=$dir/cache")
    apt-get "${o[@]}" update -qq
    rm -f "$dir"/"${package}"_*.deb
    (cd "$dir" && apt-get "${o[@]}" download "$package" >/dev/null)
    rm -rf "$dir/root"
    dpkg -x "$dir"/"${package}"_*.deb "$dir/root"
    dpkg-deb -f "$dir"/"${package}"_*.deb Version > "$dir/version"
}

# Makes sure $1/.cache/vmlinuz holds Debian's kernel (an EFI-stub bzImage, unpacked from its package,
# nothing installed); prints its version. Used by the boot tests and by the first run's demo kernel.
debian_kernel() {
    local repo=$1
    if [ ! -s "$repo/.cache/vmlinuz" ]; then
        local dir="$repo/.cache/debian-kernel"
        echo "setup: fetching Debian's kernel" >&2
        fetch_debian_package bookworm linux-image-amd64 "$dir" >&2
        local versioned
        versioned=$(dpkg-deb -f "$dir"/linux-image-amd64_*.deb Depends | grep -o 'linux-image-[0-9][^ ,]*-amd64' | head -n 1)
        fetch_debian_package bookworm "$versioned" "$dir" >&2
        mkdir -p "$repo/.cache"
        cp "$dir"/root/boot/vmlinuz-* "$repo/.cache/vmlinuz.tmp"
        mv "$repo/.cache/vmlinuz.tmp" "$repo/.cache/vmlinuz"
        rm -rf "$dir"
    fi
    # The version as the image states it: the x86 boot protocol's kernel_version field (offset 0x20E,
    # Documentation/arch/x86/boot.rst) points, less 0x200, at "6.1.0-50-amd64 (debian-kernel@...) #1 ...".
    python3 - "$repo/.cache/vmlinuz" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read(65536)
start = struct.unpack_from("<H", data, 0x20E)[0] + 0x200
print(data[start:data.index(b"\0", start)].decode().split()[0])
PY
}

# Makes sure $1/.cache/vmlinuz-arm64 holds Debian's arm64 kernel (an uncompressed arm64 Image with an
# EFI stub, which iPXE boots as it is); prints its version (the package's, e.g. 6.1.0-50-arm64).
debian_arm64_kernel() {
    local repo=$1 dir="$1/.cache/debian-kernel-arm64"
    if [ ! -s "$repo/.cache/vmlinuz-arm64" ]; then
        echo "setup: fetching Debian's arm64 kernel" >&2
        mkdir -p "$dir/cache"
        fetch_debian_package bookworm linux-image-arm64 "$dir" arm64 >&2
        local versioned
        versioned=$(dpkg-deb -f "$dir"/linux-image-arm64_*.deb Depends | grep -o 'linux-image-[0-9][^ ,]*-arm64' | head -n 1)
        fetch_debian_package bookworm "$versioned" "$dir" arm64 >&2
        cp "$dir"/root/boot/vmlinuz-* "$repo/.cache/vmlinuz-arm64.tmp"
        basename "$dir"/root/boot/vmlinuz-* | sed 's/^vmlinuz-//' > "$repo/.cache/vmlinuz-arm64.version"
        mv "$repo/.cache/vmlinuz-arm64.tmp" "$repo/.cache/vmlinuz-arm64"
        rm -rf "$dir"
    fi
    cat "$repo/.cache/vmlinuz-arm64.version"
}

# Builds the lzma-resume helper (Bootstrap.Builder/Images/Formats/Zbin/lzma-resume.c) into file $2; $1 is the
# repo. It lets a source template repack a BIOS .lkrn by compressing only what follows the script.
build_lzma_resume() {
    local repo=$1 out=$2
    need_packages gcc liblzma-dev
    mkdir -p "$(dirname "$out")"
    gcc -O2 -Wall -Wextra -o "$out" "$repo/Bootstrap.Builder/Images/Formats/Zbin/lzma-resume.c" -llzma -lpthread
}

# Puts the command line on PATH as /usr/local/bin/bootstrap (setup/bootstrap-cli: it finds the
# checkout or the installed service by itself, so one copy serves every checkout).
install_cli() {
    install -m 0755 "$(dirname "${BASH_SOURCE[0]}")/bootstrap-cli" /usr/local/bin/bootstrap
}
