#!/usr/bin/env bash
# Sets up everything this machine needs and runs the service on config.json's defaults
# (port 5555, SQLite file db/bootstrap.sqlite3, kernels/ folder, iPXE template in ipxe-template/).
# On a first run (no kernel in kernels/) it installs Debian's kernel as a clearly named demo kernel
# and points every runmode without a link at it, so the README's first curl answers a script and
# the images boot; --no-demo-kernel skips that, and an existing kernel or link is never touched.
# It also puts the command line on PATH (bootstrap machines list, ...).
# Other arguments go to the service, e.g. setup/run.sh --urls http://127.0.0.1:8080
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/lib.sh"
demo=yes
args=()
for arg in "$@"; do
    if [ "$arg" = --no-demo-kernel ]; then demo=no; else args+=("$arg"); fi
done
"$here/template.sh"
need_packages ipmitool   # what the service runs to reach a machine's BMC over IPMI
mkdir -p "$repo/kernels/net" "$repo/db"
cd "$repo"
if [ "$demo" = yes ] && [ -z "$(find kernels -maxdepth 1 -type f ! -name '.*' -print -quit)" ]; then
    version=$(debian_kernel "$repo")
    name="demo-debian-$version.efi"
    cp "$repo/.cache/vmlinuz" "kernels/.$name.tmp"
    mv "kernels/.$name.tmp" "kernels/$name"
    linked=()
    for runmode in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1])).get("runmodes", {"prod":1,"test":1,"dev":1,"qa":1})))' config.json); do
        [ -e "kernels/net/$runmode.efi" ] || [ -L "kernels/net/$runmode.efi" ] && continue
        ln -s "../$name" "kernels/net/$runmode.efi"
        linked+=("$runmode")
    done
    echo "setup: kernels/ had no kernel: installed Debian's kernel $version as the demo kernel kernels/$name" \
         "and pointed ${linked[*]:-no runmode} at it. Upload your own kernel and switch the links" \
         "(README, Admin API); setup/run.sh --no-demo-kernel skips this."
fi
dotnet build Bootstrap.Api -c Release -v quiet -nologo
install_cli   # bootstrap VERB ... (e.g. bootstrap machines list) from anywhere in this checkout
exec dotnet Bootstrap.Api/bin/Release/net10.0/Bootstrap.Api.dll --config "$repo/config.json" "${args[@]}"
