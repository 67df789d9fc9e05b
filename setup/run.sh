#!/usr/bin/env bash
# Sets up everything this machine needs and runs the service on config.json's defaults
# (port 5555, SQLite file db/bootstrap.sqlite3, kernels/ folder, iPXE template in ipxe-template/).
# Extra arguments go to the service, e.g. setup/run.sh --urls http://127.0.0.1:8080
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
"$here/template.sh"
mkdir -p "$repo/kernels/net" "$repo/db"
cd "$repo"
dotnet build Bootstrap.Api -c Release -v quiet -nologo
exec dotnet Bootstrap.Api/bin/Release/net10.0/Bootstrap.Api.dll --config "$repo/config.json" "$@"
