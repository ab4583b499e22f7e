#!/usr/bin/env bash
# Configures and builds custody. Usage: scripts/build.sh [--asan]
# Default: build/ (RelWithDebInfo, warnings as errors). --asan: build-asan/ (ASan + UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=ci
[ "${1:-}" = "--asan" ] && preset=asan
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
