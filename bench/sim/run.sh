#!/usr/bin/env bash
# bench/sim/run.sh [simbench.py options]
#
# Throughput and memory of custody-sim (see README.md beside this file): query results per second
# over 2,000-row pages, LogFile download MB/s with and without gzip, peak RSS of each.
#
#   bench/sim/run.sh                       every phase with the defaults (about 5 minutes)
#   bench/sim/run.sh --phases query        one phase; --help lists every knob
#   CUSTODY_SIM=build-x/bin/custody-sim bench/sim/run.sh   another binary
#
# Builds nothing: the binary is $CUSTODY_SIM, default build/bin/custody-sim. Talks to 127.0.0.1
# only. A measurement, not a test: exits 0 when a target is missed, non-zero only when it could
# not measure. Prints a Markdown table on stdout, progress on stderr.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
sim=${CUSTODY_SIM:-$repo/build/bin/custody-sim}
case $sim in /*) ;; *) sim=$PWD/$sim ;; esac
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl not found" >&2; exit 2; }
exec python3 "$here/simbench.py" --sim "$sim" "$@"
