#!/usr/bin/env bash
# Makes the site's Secure Boot key pair with Debian's openssl, for config.json's secure-boot-key
# and secure-boot-cert: site.key (RSA 2048, PEM, unencrypted, mode 0600), site.pem (a self-signed
# certificate, the form the service reads) and site.der (the same certificate in DER: what a
# firmware setup screen, a BMC or MokManager enrols).
#
# setup/site-key.sh [--out DIR] [--subject "/CN=Example site Secure Boot"] [--days N]
# An existing key is never overwritten.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

out=$(dirname "$here")/secure-boot
subject="/CN=$(hostname) Bootstrap Secure Boot"
days=3650
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        --subject) subject=$2; shift 2 ;;
        --days) days=$2; shift 2 ;;
        *) echo "usage: setup/site-key.sh [--out DIR] [--subject /CN=...] [--days N]" >&2; exit 2 ;;
    esac
done
need_packages openssl
mkdir -p "$out"
if [ -e "$out/site.key" ]; then
    echo "site-key: $out/site.key exists; not overwriting it (move it away to make a new pair)" >&2
    exit 1
fi
(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" -subj "$subject" \
    -keyout "$out/site.key" -out "$out/site.pem" 2>/dev/null)
chmod 0644 "$out/site.pem"
openssl x509 -in "$out/site.pem" -outform DER -out "$out/site.der"
echo "site-key: made $out/site.key, $out/site.pem and $out/site.der"
openssl x509 -in "$out/site.pem" -noout -subject -fingerprint -sha256
echo "add to config.json:  \"secure-boot-key\": \"$out/site.key\", \"secure-boot-cert\": \"$out/site.pem\""
echo "then enrol site.der in each machine's db (firmware setup or BMC), or as a MOK (mokutil --import, or MokManager)"
