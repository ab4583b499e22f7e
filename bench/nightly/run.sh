#!/usr/bin/env bash
# bench/nightly/run.sh [nightlybench.py options]
#
# The nightly series (custody collect --config CASE --state-dir DIR) against custody-sim's
# Salesforce org over loopback, for the performance targets of issue 6:
#   idle   nights with nothing new: wall clock, CPU, peak RSS and API calls, and how the API calls
#          grow with the days of history (small and large org);
#   night  one night with ~100,000 new events vs a plain `collect --config` of the same window and
#          events (target: nightly within 1.5x of plain), 3 runs each, medians.
# See nightlybench.py for the method.
#
#   bench/nightly/run.sh                              both phases (about 10 minutes on a Release build, plus the idle wait)
#   bench/nightly/run.sh --phases night --reps 5
#   bench/nightly/run.sh --phases idle --idle-days 1,7 --idle-large-days ""
#   CUSTODY=build-x/bin/custody CUSTODY_SIM=build-x/bin/custody-sim bench/nightly/run.sh
#
# Builds nothing: point CUSTODY and CUSTODY_SIM at a Release build (default build/bin/). Temporary
# files (a few GiB for the night phase) go under $TMPDIR. A measurement, not a test: exits 0 when a
# target is missed, non-zero only when it could not measure. Markdown on stdout, progress on stderr.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
custody=$(abs "${CUSTODY:-$repo/build/bin/custody}")
sim=$(abs "${CUSTODY_SIM:-$repo/build/bin/custody-sim}")
die() { echo "bench/nightly: $*" >&2; exit 2; }
command -v python3 >/dev/null || die "python3 not found"
command -v curl >/dev/null || die "curl not found (bench/sim/simbench.py reports its version)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time, Debian package 'time') not found"
[ -x "$custody" ] || die "no custody binary at $custody (set CUSTODY)"
[ -x "$sim" ] || die "no custody-sim binary at $sim (set CUSTODY_SIM)"
exec python3 "$here/nightlybench.py" --custody "$custody" --sim "$sim" "$@"
