#!/usr/bin/env bash
# Makes a throwaway CA, a server certificate for 127.0.0.1/localhost and a
# client certificate, all signed by that CA, in directory $1 (for TLS tests).
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=GridLedger test CA" \
  -keyout ca.key -out ca.pem >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr \
  >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=billing-client" -keyout client.key -out client.csr \
  >/dev/null 2>&1
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -out client.pem >/dev/null 2>&1
