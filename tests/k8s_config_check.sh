#!/usr/bin/env bash
# Checks an overlay's serve.toml or project.toml the way a pod would run it:
# the files it names (Secrets and volumes under /etc/gridledger and
# /var/lib/gridledger in the pod) are made here for real in a temporary
# directory and the paths rewritten to them, then `gridledger ROLE --config
# FILE POD_FLAGS… --check_config` must say "configuration OK". Then the same
# with the server key swapped for another key must be refused, naming
# --tls_cert (a certificate and key that do not pair).
#   tests/k8s_config_check.sh GRIDLEDGER TOML ROLE [POD_FLAG…]
set -euo pipefail
gridledger="$1" toml="$2" role="$3"
shift 3
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
etc="$tmp/mounted"
mkdir -p "$etc"/{kafka-ca,kafka-user,tls,tokens,writer-key,cluster-secret} "$tmp/var"
"$here/make_test_certs.sh" "$tmp/certs"
cp "$tmp/certs/ca.pem" "$etc/kafka-ca/ca.crt"
cp "$tmp/certs/client.pem" "$etc/kafka-user/user.crt"
cp "$tmp/certs/client.key" "$etc/kafka-user/user.key"
cp "$tmp/certs/server.pem" "$etc/tls/tls.crt"
cp "$tmp/certs/server.key" "$etc/tls/tls.key"
cp "$tmp/certs/ca.pem" "$etc/tls/ca.crt"
"$gridledger" token --principal k8s-check --org_unit sn --roles admin | sed -n 2p \
  >"$etc/tokens/tokens"
openssl genpkey -algorithm ed25519 -out "$etc/writer-key/writer.key" 2>/dev/null
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$etc/cluster-secret/cluster-secret"
sed -e "s#/etc/gridledger/#$etc/#g" -e "s#/var/lib/gridledger/#$tmp/var/#g" "$toml" \
  >"$tmp/config.toml"
if grep -v '^ *#' "$tmp/config.toml" | grep -q '/etc/gridledger\|/var/lib/gridledger'; then
  echo "k8s-config: a path in $toml was not rewritten" >&2
  exit 1
fi
"$gridledger" "$role" --config "$tmp/config.toml" "$@" --check_config
cp "$tmp/certs/client.key" "$etc/tls/tls.key"
if out="$("$gridledger" "$role" --config "$tmp/config.toml" "$@" --check_config 2>&1)"; then
  echo "k8s-config: a server key that is not the certificate's passed: $out" >&2
  exit 1
fi
case "$out" in
  *--tls_cert*"do not pair"*) echo "k8s-config: mismatched key refused: $out" ;;
  *) echo "k8s-config: FAILED: the mismatched key was refused, but not as unpaired: $out" >&2; exit 1 ;;
esac
