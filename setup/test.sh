#!/usr/bin/env bash
# Sets up everything the tests need and runs all of them:
#   Debian packages (QEMU, OVMF, socat, iproute2 and dnsmasq for the boot on a real layer-2 network, PostgreSQL, haproxy and wrk for the storage and cluster tests, ipmitool and OpenIPMI's BMC simulator ipmi_sim for the BMC tests, the oracles xorriso, isoinfo, mtools, fsck.fat, fdisk, binutils,
#   and Chromium for the browser tests),
#   the iPXE template (setup/template.sh), the lzma-resume helper (.cache/lzma-resume), a real Debian kernel for the boot tests (.cache/vmlinuz, and .cache/vmlinuz-arm64 with QEMU's aarch64 machine and AAVMF),
#   the discovery OS (setup/discovery.sh into .cache/discovery, its ARM64 build into .cache/discovery/arm64),
#   then the whole xunit suite on SQLite, and the HTTP suite again with every site on PostgreSQL (the test matrix).
#   Extra arguments go to dotnet test (e.g. --filter Boot) and run the SQLite leg only;
#   BOOTSTRAP_TEST_STORAGE=postgres setup/test.sh --filter X runs X on PostgreSQL only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/lib.sh"

need_packages qemu-system-x86 ipxe-qemu ovmf socat iproute2 dnsmasq-base xorriso genisoimage mtools dosfstools fdisk binutils python3 ca-certificates sbsigntool openssl postgresql haproxy wrk \
    ipmitool openipmi chromium fonts-dejavu-core qemu-system-arm qemu-efi-aarch64
"$here/template.sh"
# The helper a source template repacks its .lkrn with (its tests compare it with liblzma's whole-input bytes).
build_lzma_resume "$repo" "$repo/.cache/lzma-resume"

# The boot tests boot a real kernel: Debian's, unpacked from its package (no system install), x86-64 and arm64.
debian_kernel "$repo" >/dev/null
debian_arm64_kernel "$repo" >/dev/null

# The discovery OS the machine tests boot (Debian's kernel, busybox and drivers, our agent).
"$here/discovery.sh" "$repo/.cache/discovery"
"$here/discovery.sh" "$repo/.cache/discovery" --arch arm64

cd "$repo"
log=$(mktemp)
pg_folder=""
stop_postgres() { [ -z "$pg_folder" ] || { bash "$here/postgres.sh" down "$pg_folder" >/dev/null || true; rm -rf "$pg_folder"; }; }
trap 'rm -f "$log"; stop_postgres' EXIT
# The test matrix's PostgreSQL leg: every TestSite gets a database of its own on one private server.
with_postgres() {
    pg_folder=$(mktemp -d /tmp/bootstrap-matrix-pg-XXXXXX)
    BOOTSTRAP_TEST_POSTGRES=$(bash "$here/postgres.sh" up "$pg_folder")
    export BOOTSTRAP_TEST_STORAGE=postgres BOOTSTRAP_TEST_POSTGRES
}
# Runs dotnet test with these arguments, its output also in $log; its exit status.
run_tests() {
    BOOTSTRAP_TEST_KERNEL="$repo/.cache/vmlinuz" dotnet test tests/Bootstrap.Tests -c Release -nologo "$@" 2>&1 | tee -a "$log"
    return "${PIPESTATUS[0]}"
}
set +e
if [ "${BOOTSTRAP_TEST_STORAGE:-}" = postgres ]; then
    # Asked for explicitly (e.g. BOOTSTRAP_TEST_STORAGE=postgres setup/test.sh --filter Http): only that leg.
    with_postgres
    run_tests "$@"
    status=$?
else
    run_tests "$@"
    status=$?
    if [ $# -eq 0 ]; then
        # The whole suite ran on SQLite; the HTTP suite runs again on PostgreSQL (the cluster tests
        # start their own PostgreSQL, and tests about the SQLite file or kernels folder stay out).
        echo "== the HTTP suite again, on PostgreSQL"
        with_postgres
        run_tests --no-build --filter 'FullyQualifiedName~Bootstrap.Tests.Http.&FullyQualifiedName!~ClusterTests&engine!=sqlite' || status=1
    fi
fi
set -e
# One closing line in the plain form CI reads: "N passed, N failed, N skipped" (both legs added up).
totals=$(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | awk -F'[^0-9]+' '{f+=$2; p+=$3; s+=$4} END {if (NR) print p, f, s}')
if [ -n "$totals" ]; then
    read -r passed failed skipped <<<"$totals"
    echo "tests: $passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
