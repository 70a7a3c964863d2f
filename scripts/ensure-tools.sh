#!/usr/bin/env bash
# Installs the Debian packages the fault tests use when they are missing: libfaketime (clock skew and
# rate), iptables (socket-level partitions), iproute2 (ss), openssl (development certificates).
# Without root or apt-get it says what to install; the tests that need a missing tool then skip
# (partition, TLS) or fail with a message naming it (skew).
# Also promtool (Debian's 'prometheus' package), which PrometheusRulesTest runs on deploy/prometheus:
# without it, and without root or apt-get to install it, this script stops with status 1.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ERROR: promtool is missing; install it (Debian: apt-get install --no-install-recommends prometheus," >&2
    echo "       or put promtool from a Prometheus 2.x release on PATH) for PrometheusRulesTest" >&2
    exit 1
  fi
  echo "installing prometheus (for promtool) for the alert-rule tests..." >&2
  apt-get update -qq >&2 || true
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2; then
    echo "ERROR: 'apt-get install --no-install-recommends prometheus' failed; install promtool by hand" >&2
    exit 1
  fi
  command -v promtool >/dev/null 2>&1 || { echo "ERROR: promtool still not found after installing prometheus" >&2; exit 1; }
fi
missing=()
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || [ -n "$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null)" ] || missing+=(faketime)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "WARNING: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) for the fault tests" >&2
  exit 0
fi
echo "installing ${missing[*]} for the fault tests..." >&2
apt-get update -qq >&2 || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
  || echo "WARNING: 'apt-get install ${missing[*]}' failed; the fault tests that need them will skip or fail" >&2
