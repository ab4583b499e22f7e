#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (warnings are errors) and runs ctest.
# Usage: scripts/test.sh [--asan]   (--asan: the same suite under ASan + UBSan, in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh "$@"
dir=build
[ "${1:-}" = "--asan" ] && dir=build-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
