#!/usr/bin/env bash
# Runs the whole test suite against the ASan+UBSan build (make test calls
# this after building). Criterion prints the pass/fail synthesis CI reads.
set -euo pipefail
cd "$(dirname "$0")/.."

# DuckDB is not built with sanitizers; its one-time allocations at exit are
# not ours to fix, so leak checking is limited to what LSan can attribute.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export MARTLET_BINARY="$PWD/build/sanitize/martlet"

./build/sanitize/martlet-tests --jobs 2 "$@"
