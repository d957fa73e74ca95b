#!/bin/sh
# Installs a GridLedger .deb on Debian 12 with apt, which fetches exactly
# what the package declares (its Depends) from Debian, and cleans apt's
# lists afterwards. Used by the Dockerfile's runtime stage and by
# scripts/package-check (inside a minimal root).
#   packaging/install-runtime.sh /path/to/gridledger_VERSION_amd64.deb
set -eu
deb="$1"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/*
