#!/usr/bin/env bash
# Sets up everything the tests need and runs all of them:
#   Debian packages (QEMU, OVMF, socat, PostgreSQL, haproxy and wrk for the storage and cluster tests, the oracles xorriso, isoinfo, mtools, fsck.fat, fdisk, binutils,
#   and Chromium for the browser tests),
#   the iPXE template (setup/template.sh), the lzma-resume helper (.cache/lzma-resume), a real Debian kernel for the boot tests (.cache/vmlinuz),
#   the discovery OS (setup/discovery.sh into .cache/discovery),
#   then the whole xunit suite. Extra arguments go to dotnet test (e.g. --filter Boot).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/lib.sh"

need_packages qemu-system-x86 ovmf socat xorriso genisoimage mtools dosfstools fdisk binutils python3 ca-certificates sbsigntool openssl postgresql haproxy wrk \
    chromium fonts-dejavu-core
"$here/template.sh"
# The helper a source template repacks its .lkrn with (its tests compare it with liblzma's whole-input bytes).
build_lzma_resume "$repo" "$repo/.cache/lzma-resume"

# The boot tests boot a real kernel: Debian's, unpacked from its package (no system install).
debian_kernel "$repo" >/dev/null

# The discovery OS the machine tests boot (Debian's kernel, busybox and drivers, our agent).
"$here/discovery.sh" "$repo/.cache/discovery"

cd "$repo"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
BOOTSTRAP_TEST_KERNEL="$repo/.cache/vmlinuz" dotnet test tests/Bootstrap.Tests -c Release -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line in the plain form CI reads: "N passed, N failed, N skipped".
summary=$(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
    read -r failed passed skipped <<<"$(echo "$summary" | grep -Eo '[0-9]+' | tr '\n' ' ')"
    echo "tests: $passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
