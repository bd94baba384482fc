#!/usr/bin/env bash
# Certificates signed per second through cfssl's HTTP API: `trustplane ca serve`
# against Debian's `cfssl serve` (1.2), in one run, with the same CA (made once
# by `trustplane ca init`, ECDSA P-256), the same signing config and the same
# pre-made P-256 CSR; first both without a certdb, then both with a SQLite
# certdb (each its own file; cfssl's tables are created with trustplane's
# schema, which is cfssl's, and both files are in WAL mode).
#
# Run (after building the targets trustplane and sign_load_bench):
#   cmake --build BUILD_DIR -j1 --target trustplane sign_load_bench
#   bench/ca_vs_cfssl.sh BUILD_DIR
# Knobs (environment): CONNS=8 parallel keep-alive clients, COUNT=6000
# requests per run (bounded by SECONDS_MAX=10 s per run), RUNS=3 runs per
# server and mode (alternating cfssl / trustplane, median reported),
# CFSSL=/usr/bin/cfssl, LOAD=path of the load client (default
# BUILD_DIR/bench/sign_load_bench), TP=path of trustplane (default
# BUILD_DIR/trustplane).
#
# Prints, per mode, each server's certs/s and server CPU (µs per cert, from
# /proc/PID/stat) and the ratio trustplane / cfssl; then checks a sample of
# issued certificates from each server with `openssl verify` against the CA.
# Both servers listen on 127.0.0.1 only and are stopped by their PID.
set -euo pipefail
build=${1:?usage: bench/ca_vs_cfssl.sh BUILD_DIR}
tp=${TP:-$build/trustplane}
load=${LOAD:-$build/bench/sign_load_bench}
cfssl=${CFSSL:-/usr/bin/cfssl}
conns=${CONNS:-8}
count=${COUNT:-6000}
secs=${SECONDS_MAX:-10}
runs=${RUNS:-3}
for f in "$tp" "$load" "$cfssl"; do
  [[ -x $f ]] || { echo "missing executable $f" >&2; exit 2; }
done
tp=$(realpath "$tp"); load=$(realpath "$load")

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export TRUSTPLANE_HOME="$work/home"

# --- the CA, the config, the CSR and the request body (made once) ---
cat >ca-csr.json <<'EOF'
{"CN": "bench CA", "key": {"algo": "ecdsa", "size": 256}, "names": [{"O": "bench"}]}
EOF
"$tp" ca init ca-csr.json >/dev/null
cat >config.json <<'EOF'
{"signing": {"default": {"expiry": "168h"},
  "profiles": {"client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h"}}}}
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf-key.pem \
  -subj "/O=bench/CN=client.bench.example" -addext "subjectAltName=DNS:client.bench.example" \
  -out leaf.csr 2>/dev/null
jq -n --rawfile csr leaf.csr '{certificate_request: $csr, profile: "client"}' >sign.json

echo "{\"driver\": \"sqlite3\", \"data_source\": \"$work/tp-certdb.sqlite\"}" >tp-db.json
echo "{\"driver\": \"sqlite3\", \"data_source\": \"$work/cfssl-certdb.sqlite\"}" >cfssl-db.json

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$1/api/v1/cfssl/health" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2
  return 1
}

# cfssl's certdb tables: let trustplane create them (its schema is cfssl's),
# then stop it.
port=$(free_port)
"$tp" ca serve -port "$port" -db-config cfssl-db.json 2>/dev/null &
p=$!
wait_port "$port"
kill "$p"; wait "$p" || true

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run NAME PORT PID OUTDIR -> appends "rate cpu_us_per_cert" to NAME.results
run() {
  local name=$1 port=$2 pid=$3 out=$4 c0 c1 line ok rate
  mkdir -p "$out"
  c0=$(cpu_ticks "$pid")
  line=$("$load" 127.0.0.1 "$port" /api/v1/cfssl/sign sign.json "$conns" "$count" "$secs" "$out" 5)
  c1=$(cpu_ticks "$pid")
  ok=$(sed -E 's/.*ok=([0-9]+).*/\1/' <<<"$line")
  rate=$(sed -E 's/.*rate=([0-9.]+).*/\1/' <<<"$line")
  awk -v r="$rate" -v d=$((c1 - c0)) -v hz="$hz" -v ok="$ok" \
    'BEGIN { printf "%s %.0f\n", r, (ok > 0 ? d / hz / ok * 1e6 : 0) }' >>"$name.results"
  echo "  $name: $line"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

verify_sample() {
  local dir=$1 n=0 f
  for f in "$dir"/resp-*.json; do
    jq -r .result.certificate "$f" >cert.pem
    openssl verify -CAfile ca.pem -purpose sslclient cert.pem >/dev/null || { echo "  FAILED: $f" >&2; return 1; }
    n=$((n + 1))
  done
  echo "  $dir: $n certificates verify with openssl (clientAuth)"
}

declare -A summary
for mode in nodb sqlite; do
  # Without -db-config cfssl keeps no certdb; trustplane would use its home's, so --no-db.
  tpargs=(--no-db); cfargs=()
  if [[ $mode == sqlite ]]; then tpargs=(-db-config tp-db.json); cfargs=(-db-config cfssl-db.json); fi
  cport=$(free_port)
  "$cfssl" serve -address 127.0.0.1 -port "$cport" -ca ca.pem -ca-key ca-key.pem -config config.json \
    "${cfargs[@]}" -loglevel 5 2>cfssl-$mode.log &
  cpid=$!; pids+=("$cpid")
  tport=$(free_port)
  "$tp" ca serve -address 127.0.0.1 -port "$tport" -ca ca.pem -ca-key ca-key.pem -config config.json \
    "${tpargs[@]}" 2>tp-$mode.log &
  tpid=$!; pids+=("$tpid")
  wait_port "$cport"; wait_port "$tport"
  echo "== $mode: $conns keep-alive clients, $count requests (max ${secs}s) per run, $runs runs each"
  # Warm-up: Go's heap and both servers' caches.
  "$load" 127.0.0.1 "$cport" /api/v1/cfssl/sign sign.json "$conns" 300 "$secs" >/dev/null
  "$load" 127.0.0.1 "$tport" /api/v1/cfssl/sign sign.json "$conns" 300 "$secs" >/dev/null
  rm -f "cfssl-$mode.results" "trustplane-$mode.results"
  for i in $(seq 1 "$runs"); do
    run "cfssl-$mode" "$cport" "$cpid" "out-cfssl-$mode"
    run "trustplane-$mode" "$tport" "$tpid" "out-tp-$mode"
  done
  kill "$cpid" "$tpid"; wait "$cpid" 2>/dev/null || true; wait "$tpid" 2>/dev/null || true
  for s in cfssl trustplane; do
    summary[$s-$mode-rate]=$(cut -d' ' -f1 "$s-$mode.results" | median)
    summary[$s-$mode-cpu]=$(cut -d' ' -f2 "$s-$mode.results" | median)
  done
  if [[ $mode == sqlite ]]; then
    echo "  rows: cfssl $(sqlite3 cfssl-certdb.sqlite 'select count(*) from certificates')," \
         "trustplane $(sqlite3 tp-certdb.sqlite 'select count(*) from certificates')"
  fi
  verify_sample "out-cfssl-$mode"
  verify_sample "out-tp-$mode"
done

echo
echo "== summary (medians of $runs runs; CPU = server CPU per certificate)"
printf "%-8s %14s %14s %14s %14s %8s\n" mode "cfssl certs/s" "cfssl µs/cert" "tp certs/s" "tp µs/cert" ratio
for mode in nodb sqlite; do
  c=${summary[cfssl-$mode-rate]} t=${summary[trustplane-$mode-rate]}
  printf "%-8s %14s %14s %14s %14s %8s\n" "$mode" "$c" "${summary[cfssl-$mode-cpu]}" "$t" \
    "${summary[trustplane-$mode-cpu]}" "$(awk -v a="$t" -v b="$c" 'BEGIN { printf "%.2fx", a / b }')"
done
