#!/usr/bin/env bash
# Onboarding N distinct CA certificates: trustplane (one `trust add`, store
# writes and audit events included) against the seed's per-certificate
# pipeline (openssl x509 -fingerprint | sed | tr | tr, then stat + cp into a
# local bucket directory) on the same certificates, in the same run.
# The pipeline runs on a sample (PIPELINE_SAMPLE, default 300) because it costs
# ~30 ms per certificate; its per-certificate time is what the ratio uses.
set -euo pipefail
build=${1:-build/release}
count=${COUNT:-10000}
sample=${PIPELINE_SAMPLE:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/certs"

now_ns() { date +%s%N; }

echo "generating $count distinct P-256 CA certificates ..."
"$build/bench/make_test_cas" "$count" "$work/certs"
mapfile -t certs < <(ls "$work/certs"/*.pem | sort)
# Flush the generated files first: trustplane's store syncs the filesystem
# once per batch (durability the cp pipeline does not have), and that sync
# must not pay for the generator's writes.
sync

export TRUSTPLANE_HOME="$work/home" TRUSTPLANE_ACTOR="bench:onboard"
"$build/trustplane" init >/dev/null
t0=$(now_ns)
"$build/trustplane" trust add --tenant bench "${certs[@]}" >"$work/add.out"
t1=$(now_ns)
added=$(grep -c ' added$' "$work/add.out" || true)
[ "$added" -eq "$count" ] || { echo "expected $count added, got $added" >&2; exit 1; }
"$build/trustplane" audit verify >/dev/null
ours_ns=$(( (t1 - t0) / count ))

bucket="$work/pipeline-bucket/trusted-ca-fingerprints/sha256"
mkdir -p "$bucket"
t0=$(now_ns)
for f in "${certs[@]:0:$sample}"; do
  fingerprint=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/^.*=//' | tr -d ':' | tr 'A-F' 'a-f')
  if ! stat "$bucket/$fingerprint" >/dev/null 2>&1; then
    cp "$f" "$bucket/$fingerprint"
  fi
done
t1=$(now_ns)
pipeline_ns=$(( (t1 - t0) / sample ))

# Both must agree on every fingerprint of the sample.
for f in "$bucket"/*; do
  "$build/trustplane" trust show "$(basename "$f")" >/dev/null ||
    { echo "trustplane does not know the pipeline's fingerprint $(basename "$f")" >&2; exit 1; }
done

awk -v ours="$ours_ns" -v pipe="$pipeline_ns" -v n="$count" -v s="$sample" 'BEGIN {
  printf "trustplane trust add: %d certificates, %.1f us/cert (store writes + audit included)\n", n, ours / 1000
  printf "seed pipeline:        %d certificates, %.2f ms/cert\n", s, pipe / 1e6
  printf "ratio: trustplane is %.0fx faster per certificate (target >= 100x)\n", pipe / ours
}'
