#!/usr/bin/env bash
# A new user's first hour, as README.md tells it: `scripts/run` (here without
# its build: the gridledger of BUILD_DIR, the build this test belongs to), in a
# run directory of its own on a free port so a user's own `scripts/run` is not
# touched; then every command it printed (<run dir>/examples.sh) and every
# command of README.md's ```sh blocks marked <!-- run-by-test --> (with .run/,
# 127.0.0.1:50051 and build/cli/gridledger there replaced by this run's); then
# `scripts/run stop`, and nothing of it may still run. A command fails if it
# exits non-zero or prints an error. Whatever happens, the server is stopped.
#   BUILD_DIR=build bash tests/first_run_test.sh   (ctest: first_run_e2e)
set -uo pipefail
# A signal ends the test through the EXIT trap (which stops the server).
trap "exit 143" TERM INT HUP
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export BUILD_DIR="$(realpath -m "${BUILD_DIR:-build}")"
export GRIDLEDGER_RUN_DIR="$(realpath -m "${GRIDLEDGER_RUN_DIR:-$BUILD_DIR/first-run}")"
export GRIDLEDGER_LISTEN="127.0.0.1:0"  # serve picks a free port
export GRIDLEDGER_DEMO_ACCOUNTS="${GRIDLEDGER_DEMO_ACCOUNTS:-40}"
export GRIDLEDGER_BUILD=0
unset GRIDLEDGER_DATA GRIDLEDGER_DEMO
RUN_DIR="$GRIDLEDGER_RUN_DIR"
PID_FILE="$RUN_DIR/serve.pid"

cleanup() {
  local pid=""
  [[ -f "$PID_FILE" ]] && pid=$(cat "$PID_FILE")
  scripts/run stop >/dev/null 2>&1
  # Only the server this test started, by its id.
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# What counts as an error in a command's output: grpcurl's "ERROR:" and status
# code lines, gridledger's "<subcommand>: ... error:" and the demo's "error:"
# lines, a view that stopped ("error" field).
ERROR_RE='(^ERROR:|^Failed|^[[:space:]]*Code: [A-Za-z]|[Ee]rror:|"error":|[Ff]ailed to)'

# One command line from the checkout root: exit status 0 and no error printed.
check() {
  local line="$1" out status
  out=$(cd "$ROOT" && timeout 60 bash -c "$line" 2>&1)
  status=$?
  if ((status != 0)); then
    fail "exit $status: $line"
    echo "$out" | head -20
  elif grep -qE "$ERROR_RE" <<<"$out"; then
    fail "printed an error: $line"
    grep -E "$ERROR_RE" <<<"$out" | head -10
  else
    echo "ok: $line"
  fi
}

[[ -x "$BUILD_DIR/cli/gridledger" ]] || { echo "FAIL: no $BUILD_DIR/cli/gridledger"; exit 1; }
# A run dir of our own, from zero (stop whatever a previous run left there first).
scripts/run stop >/dev/null 2>&1
rm -rf "$RUN_DIR"

echo "== scripts/run (run dir $RUN_DIR)"
run_out=$(scripts/run 2>&1)
status=$?
echo "$run_out"
((status == 0)) || { echo "FAIL: scripts/run exited $status"; exit 1; }
grep -qE "$ERROR_RE|the demo reported failures|warning:" <<<"$run_out" &&
  fail "scripts/run printed an error or warning"
ADDRESS=$(grep -m1 -o 'serving on [^ ]*' "$RUN_DIR/serve.log" | cut -d' ' -f3)
[[ -n "$ADDRESS" ]] || { echo "FAIL: no address in $RUN_DIR/serve.log"; exit 1; }

# What the first hour promises: a token per role (only the owner reads it), grpcurl.
for role in admin auditor analyst customer_service marketing_manager metering_technician field_crew \
            meter_reader bill_checker collector; do
  token="$RUN_DIR/$role.token"
  [[ -s "$token" ]] || fail "no $token"
  [[ -s "$token" && "$(stat -c %a "$token")" == 600 ]] || fail "$token is not mode 600"
done
[[ -x "$RUN_DIR/bin/grpcurl" ]] || fail "no grpcurl at $RUN_DIR/bin/grpcurl"
[[ -s "$RUN_DIR/examples.sh" ]] || { echo "FAIL: no $RUN_DIR/examples.sh"; exit 1; }
for rpc in Health/Check MeteringCenter/GetMeter BillingCenter/GetAccount LedgerQuery/GetStatement \
           KpiQuery/GetKpis SupervisionQuery/ListAlerts PlanningQuery/GetDemand OutageQuery/ProposeCoordination \
           ViewAdmin/ListViews \
           "tail " "tail --target" "export " "verify "; do
  grep -qF "$rpc" "$RUN_DIR/examples.sh" || fail "examples.sh has no $rpc example"
done
# Every example must also have been printed, as it is in the file.
while IFS= read -r line; do
  grep -qxF -- "$line" <<<"$run_out" || fail "example not printed by scripts/run: $line"
done <"$RUN_DIR/examples.sh"

echo "== $RUN_DIR/examples.sh"
n=0
while IFS= read -r line; do
  [[ -z "${line// /}" || "$line" == \#* ]] && continue
  check "$line"
  n=$((n + 1))
done <"$RUN_DIR/examples.sh"
((n >= 10)) || fail "only $n examples"

echo "== README.md blocks marked <!-- run-by-test -->"
rel_run="${RUN_DIR#"$ROOT"/}"
rel_bin="${BUILD_DIR#"$ROOT"/}/cli/gridledger"
readme=$(awk '
  /<!-- run-by-test -->/ { armed = 1; next }
  armed && /^```sh[[:space:]]*$/ { inblock = 1; armed = 0; next }
  inblock && /^```/ { inblock = 0; next }
  inblock { print; next }
  armed && NF { armed = 0 }
' README.md)
m=0
while IFS= read -r line; do
  line="${line%%  #*}"  # a trailing "  # comment"
  [[ -z "${line// /}" || "$line" == \#* ]] && continue
  line="${line//build\/cli\/gridledger/$rel_bin}"
  line="${line//.run\//$rel_run/}"
  line="${line//127.0.0.1:50051/$ADDRESS}"
  check "$line"
  m=$((m + 1))
done <<<"$readme"
((m >= 3)) || fail "README.md has $m commands marked <!-- run-by-test --> (want 3 or more)"

echo "== scripts/run stop"
pid=$(cat "$PID_FILE")
scripts/run stop || fail "scripts/run stop exited $?"
kill -0 "$pid" 2>/dev/null && fail "gridledger serve (pid $pid) still runs after scripts/run stop"
left=$(pgrep -f -- "$RUN_DIR" || true)
[[ -z "$left" ]] || fail "still running after stop: $(ps -o pid=,args= -p "${left//$'\n'/,}")"

if ((failures)); then
  echo "first run: $failures failure(s)"
  exit 1
fi
echo "first run: scripts/run, $n examples and $m README commands passed"
