#!/usr/bin/env bash
# Installs the Debian packages the fault tests use when they are missing: libfaketime (clock skew and
# rate), iptables (socket-level partitions), iproute2 (ss), openssl (development certificates).
# Without root or apt-get it says what to install; the tests that need a missing tool then skip
# (partition, TLS) or fail with a message naming it (skew).
# Also Prometheus and promtool (Debian's 'prometheus' package: the alert-rule tests and a real Prometheus
# against pulse processes) and Chromium (Debian's 'chromium': the status page test in a headless browser):
# without them, and without root or apt-get to install them, this script stops with status 1.
set -euo pipefail
need_pkg() { # command package why
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ERROR: $1 is missing; install it (Debian: apt-get install --no-install-recommends $2) for $3" >&2
    exit 1
  fi
  echo "installing $2 (for $1) for $3..." >&2
  apt-get update -qq >&2 || true
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >&2; then
    echo "ERROR: 'apt-get install --no-install-recommends $2' failed; install $1 by hand" >&2
    exit 1
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "ERROR: $1 still not found after installing $2" >&2; exit 1; }
}
need_pkg promtool prometheus "the alert-rule tests (PrometheusRulesTest, PrometheusAlertProcessTest)"
need_pkg chromium chromium "the status page test (StatusPageBrowserTest)"

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
