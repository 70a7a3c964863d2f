#!/usr/bin/env bash
# Development certificates for mutual TLS between pulse nodes (Raft/gRPC): one CA and one key pair
# per node, valid for 127.0.0.1, ::1 and localhost (add names with SAN="DNS:pulse-1.example,IP:10.0.0.5").
#   ./scripts/dev-certs.sh <dir> <node-id>...      e.g. ./scripts/dev-certs.sh run/tls p1 p2 p3
# Writes <dir>/ca.pem (the trust store for --raft-tls-trust) and <dir>/<node>.pem, <dir>/<node>.key
# (PKCS#8, for --raft-tls-cert and --raft-tls-key). Not for production: the CA key stays in <dir>.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 <dir> <node-id>..." >&2
  exit 2
fi
command -v openssl >/dev/null || { echo "ERROR: openssl is needed (Debian: apt-get install openssl)" >&2; exit 1; }
dir="$1"; shift
mkdir -p "$dir"
san="IP:127.0.0.1,IP:::1,DNS:localhost${SAN:+,$SAN}"
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=backbeat-dev-ca" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
fi
for node in "$@"; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$node" -keyout "$dir/$node.rsa" -out "$dir/$node.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" > "$dir/$node.ext"
  openssl x509 -req -in "$dir/$node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 365 \
    -extfile "$dir/$node.ext" -out "$dir/$node.pem" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$dir/$node.rsa" -out "$dir/$node.key"
  rm -f "$dir/$node.rsa" "$dir/$node.csr" "$dir/$node.ext"
  echo "$dir/$node.pem $dir/$node.key"
done
