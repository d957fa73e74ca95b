#!/bin/sh
# Installs a GridLedger .deb on Debian 12 with apt, which fetches exactly
# what the package declares (its Depends, and theirs) from Debian and no
# recommended extras, then removes apt's lists and downloaded archives so
# none of it stays in an image layer. Used by the Dockerfile's runtime stage
# and by scripts/package-check (inside a minimal root); needs root and a
# reachable Debian mirror. POSIX sh, run as `sh install-runtime.sh` (dash).
#   packaging/install-runtime.sh /path/to/gridledger_VERSION_ARCH.deb
set -eu
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 FILE.deb" >&2
  exit 2
fi
deb="$1"
# apt takes an argument as a file only when it holds a slash.
case "$deb" in */*) ;; *) deb="./$deb" ;; esac
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/*
