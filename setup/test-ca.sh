#!/usr/bin/env bash
# Makes a test certificate authority and a server certificate it signs, with Debian's openssl, for
# config.json's https-port (tls-certificate, tls-key) and for setup/template.sh --source ... --trust:
#   ca.pem, ca.key          the CA (10 years)
#   server.pem, server.key  a certificate for NAME (an IP address or a host name), signed by the CA
#
# setup/test-ca.sh NAME [--out DIR]
# Existing files are never overwritten.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ $# -ge 1 ] || { echo "usage: setup/test-ca.sh NAME [--out DIR]" >&2; exit 2; }
name=$1; shift
out=$(dirname "$here")/tls
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        *) echo "usage: setup/test-ca.sh NAME [--out DIR]" >&2; exit 2 ;;
    esac
done
need_packages openssl
mkdir -p "$out"
for f in ca.key server.key; do
    [ ! -e "$out/$f" ] || { echo "test-ca: $out/$f exists; not overwriting it" >&2; exit 1; }
done
if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then san="IP:$name"; else san="DNS:$name"; fi
(umask 077
 openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=Bootstrap test CA" \
     -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
     -keyout "$out/ca.key" -out "$out/ca.pem" 2>/dev/null
 openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$name" -keyout "$out/server.key" -out "$out/server.csr" 2>/dev/null
 openssl x509 -req -in "$out/server.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial -days 825 -sha256 \
     -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san") -out "$out/server.pem" 2>/dev/null)
rm -f "$out/server.csr" "$out/ca.srl"
chmod 0644 "$out/ca.pem" "$out/server.pem"
echo "test-ca: made $out/ca.pem and $out/server.pem ($san), keys beside them"
echo "add to config.json:  \"https-port\": 8443, \"tls-certificate\": \"$out/server.pem\", \"tls-key\": \"$out/server.key\""
echo "and for iPXE to trust it:  setup/template.sh --source ... --trust $out/ca.pem"
