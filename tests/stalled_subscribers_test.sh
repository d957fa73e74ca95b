#!/usr/bin/env bash
# 1,000 Subscribe streams that never read, held by a real `gridledger serve`
# on a log far larger than any stream's flow-control window (20,000 events,
# about 10 MB): the server's threads must not grow with them (Subscribe runs
# on gRPC's callback API over a shared pump, not a thread per subscriber) and
# its memory must stay bounded (≈ 94 KB a stalled stream was measured; the
# bound here is 300 KB each). Resource bounds, not timings.
#   BUILD_DIR=build tests/stalled_subscribers_test.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
GL="$BUILD_DIR/cli/gridledger"
STALLED="${STALLED:-1000}"
DIR="$(mktemp -d)"
SERVE_PID=""
cleanup() {
  [[ -n "$SERVE_PID" ]] && { kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; }
  rm -rf "$DIR"
}
trap cleanup EXIT
"$BUILD_DIR/bench/projection_bench" --dir "$DIR" --events 20000 --views none | grep -E '^filled' || true
TOKEN_LINE=$("$GL" token --principal stall-analyst --org_unit sn --roles analyst)
TOKEN=$(echo "$TOKEN_LINE" | head -1)
echo "$TOKEN_LINE" | tail -1 >"$DIR/tokens"
"$GL" serve --store "embedded:$DIR/store" --listen 127.0.0.1:0 --tokens "$DIR/tokens" \
  --views none --max_subscriptions_per_principal 5000 --max_calls_per_principal 5000 >"$DIR/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do grep -q "serving on" "$DIR/serve.log" && break; sleep 0.1; done
ADDR=$(grep -m1 -o 'serving on [^ ]*' "$DIR/serve.log" | cut -d' ' -f3)
[[ -n "$ADDR" ]] || { cat "$DIR/serve.log"; echo "FAIL: serve did not start"; exit 1; }
out=$("$BUILD_DIR/bench/subscribe_bench" --target "$ADDR" --token "$TOKEN" --stalled "$STALLED" \
  --hold_s 3 --server_pid "$SERVE_PID")
echo "$out"
field() { echo "$out" | grep -o "$1 threads=[0-9]* rss_mb=[0-9.]*" | sed -n "s/.*$2=\([0-9.]*\).*/\1/p"; }
idle_threads=$(field idle threads); held_threads=$(field held threads)
idle_rss=$(field idle rss_mb); held_rss=$(field held rss_mb)
[[ -n "$idle_threads" && -n "$held_threads" ]] || { echo "FAIL: no samples"; exit 1; }
kill -0 "$SERVE_PID" || { echo "FAIL: serve died"; exit 1; }
failed=0
if ((held_threads > idle_threads + 8)); then
  echo "FAIL: threads grew from $idle_threads to $held_threads with $STALLED stalled subscribers"
  failed=1
else
  echo "PASS: threads $idle_threads idle, $held_threads with $STALLED stalled subscribers"
fi
bound_mb=$((STALLED * 300 / 1024))
grown=$(awk -v a="$held_rss" -v b="$idle_rss" 'BEGIN {printf "%.1f", a - b}')
if awk -v g="$grown" -v b="$bound_mb" 'BEGIN {exit !(g > b)}'; then
  echo "FAIL: memory grew $grown MB (bound $bound_mb MB) with $STALLED stalled subscribers"
  failed=1
else
  echo "PASS: memory grew $grown MB (bound $bound_mb MB) with $STALLED stalled subscribers"
fi
# Still answering after they went away.
grep -q . <("$GL" tail --target "$ADDR" --token_file <(echo "$TOKEN") --max 1 --json 2>&1) ||
  { echo "FAIL: no event from a fresh subscriber afterwards"; failed=1; }
exit "$failed"
