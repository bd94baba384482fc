#!/usr/bin/env bash
# Runs every benchmark against a release build directory.
set -euo pipefail
build=${1:-build/release}
here=$(dirname "$0")
"$here/onboard_vs_pipeline.sh" "$build"
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] && "$b" --benchmark_min_time=0.2
done
