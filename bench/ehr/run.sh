#!/usr/bin/env bash
# bench/ehr/run.sh [ehrbench.py options]
#
# custody collect fhir and custody collect mirth against custody-sim over loopback: 500,000
# AuditEvents through FHIR paging and 500,000 Mirth server events. Is the collector ever the
# bottleneck? (target: custody's CPU per event at most a third of the simulator's, peak RSS under
# 128 MiB). See ehrbench.py for what is measured and how.
#
#   bench/ehr/run.sh                          both phases (a few minutes on a Release build)
#   bench/ehr/run.sh --phases mirth --events 100000
#   CUSTODY=build-x/bin/custody CUSTODY_SIM=build-x/bin/custody-sim bench/ehr/run.sh
#
# Builds nothing: point CUSTODY and CUSTODY_SIM at a Release build (default build/bin/). A
# measurement, not a test: exits 0 when a target is missed. Markdown on stdout, progress on stderr.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
custody=$(abs "${CUSTODY:-$repo/build/bin/custody}")
sim=$(abs "${CUSTODY_SIM:-$repo/build/bin/custody-sim}")
die() { echo "bench/ehr: $*" >&2; exit 2; }
command -v python3 >/dev/null || die "python3 not found"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time, Debian package 'time') not found"
[ -x "$custody" ] || die "no custody binary at $custody (set CUSTODY)"
[ -x "$sim" ] || die "no custody-sim binary at $sim (set CUSTODY_SIM)"
exec python3 "$here/ehrbench.py" --custody "$custody" --sim "$sim" "$@"
