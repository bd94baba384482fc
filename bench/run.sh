#!/usr/bin/env bash
# Runs every benchmark against a release build directory: the same-run
# comparisons with a peer (the seed's onboarding pipeline, cfssl serve,
# cfssl ocspserve and gencert, nginx), then the Google Benchmark
# micro-benchmarks.
set -euo pipefail
build=${1:-build/release}
here=$(dirname "$0")
"$here/onboard_vs_pipeline.sh" "$build"
"$here/ca_vs_cfssl.sh" "$build"
"$here/ocsp_vs_cfssl.sh" "$build"
"$here/gateway_vs_nginx.sh" "$build"
for b in "$build"/bench/*_bench; do
  case "$b" in *sign_load_bench | *ocsp_load_bench) continue ;; esac  # load clients the scripts drive
  [ -x "$b" ] && "$b" --benchmark_min_time=0.2
done
