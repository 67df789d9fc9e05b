#!/usr/bin/env bash
# Installs the service for production under systemd (run as root on the boot server):
#   /opt/bootstrap/app (published build), /opt/bootstrap/ipxe-template, /etc/bootstrap/config.json,
#   /var/lib/bootstrap/{kernels,db}, /var/cache/bootstrap, user "bootstrap", setup/bootstrap.service,
#   and the command line as /usr/local/bin/bootstrap.
# An existing /etc/bootstrap/config.json and existing kernels are kept. Run it again to upgrade.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/lib.sh"

"$here/template.sh"
need_packages ipmitool   # what the service runs to reach a machine's BMC over IPMI
id bootstrap >/dev/null 2>&1 || useradd --system --home-dir /var/lib/bootstrap --shell /usr/sbin/nologin bootstrap
install -d -m 0755 /opt/bootstrap /etc/bootstrap
install -d -m 0750 -o bootstrap -g bootstrap /var/lib/bootstrap /var/lib/bootstrap/kernels /var/lib/bootstrap/kernels/net \
    /var/lib/bootstrap/db /var/cache/bootstrap
dotnet publish "$repo/Bootstrap.Api" -c Release -o /opt/bootstrap/app -v quiet -nologo
rm -rf /opt/bootstrap/ipxe-template && cp -r "$repo/ipxe-template" /opt/bootstrap/ipxe-template
install -m 0644 "$repo/README.md" /opt/bootstrap/README.md
if [ ! -f /etc/bootstrap/config.json ]; then
    python3 - "$repo/config.json" > /etc/bootstrap/config.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update({"ipxe-template": "/opt/bootstrap/ipxe-template", "kernel-path": "/var/lib/bootstrap/kernels",
          "kernel-net-path": "/var/lib/bootstrap/kernels/net", "bootstrap-db": "/var/lib/bootstrap/db/bootstrap.sqlite3",
          "cache-path": "/var/cache/bootstrap"})
print(json.dumps(c, indent=2))
PY
    chgrp bootstrap /etc/bootstrap/config.json && chmod 0640 /etc/bootstrap/config.json
fi
install -m 0644 "$here/bootstrap.service" /etc/systemd/system/bootstrap.service
install_cli   # bootstrap VERB ... runs against /etc/bootstrap/config.json, as the bootstrap user
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now bootstrap
    systemctl restart bootstrap
    echo "install: bootstrap is running; logs: journalctl -u bootstrap"
else
    echo "install: systemd is not running here; files are in place, start with: systemctl enable --now bootstrap"
fi
