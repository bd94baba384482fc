#!/usr/bin/env bash
# OCSP responses per second and `gencert` wall time per certificate:
# trustplane against Debian's cfssl (1.2), in one run, with the same CA (made
# once by `trustplane ca init`, ECDSA P-256), the same signing config and the
# same P-256 CSR JSON.
#
# OCSP: about 1,000 client certificates are issued into a SQLite certdb
# through `trustplane ca serve` (which signs each one's OCSP response at
# issue), a tenth of them are revoked through its revoke API. cfssl gets a
# copy of that certdb (trustplane's schema is cfssl's), signs its own
# responses with `cfssl ocsprefresh`, dumps them with `cfssl ocspdump` and
# serves the file with `cfssl ocspserve` (log level 5, so it does not write a
# log line per request). trustplane answers at /ocsp of `ca serve` from the
# certdb and its pre-signed responses. Each server is pinned to core 0
# (taskset -c 0), the load client (ocsp_load_bench) to core 1; it POSTs
# single-certificate requests without a nonce (SHA-1 CertID, as
# `openssl ocsp -no_nonce` does: the form cfssl's pre-signed responder
# answers) cycling through every certificate, on keep-alive connections.
#
# gencert: GENCERT_N sequential `cfssl gencert -ca ca.pem -ca-key ca-key.pem
# -config config.json -profile client csr.json` against as many
# `trustplane --output json ca gencert --no-db ...` with the same files; both
# print cfssl's JSON ({cert, key, csr}) to stdout and record nothing in a certdb.
#
# Run (after building the targets trustplane, sign_load_bench and
# ocsp_load_bench):
#   cmake --build BUILD_DIR -j1 --target trustplane sign_load_bench ocsp_load_bench
#   bench/ocsp_vs_cfssl.sh BUILD_DIR
# Knobs (environment): LEAVES=1000 certificates, REVOKE_EVERY=10 (every
# tenth is revoked), CONNS=8 keep-alive connections, COUNT=200000 requests
# per run (bounded by SECONDS_MAX=5 s per run), RUNS=3 runs per server
# (alternating, median reported), GENCERT_N=50 certificates per gencert run,
# CFSSL=/usr/bin/cfssl, TP, SIGN_LOAD, OCSP_LOAD (default: BUILD_DIR/trustplane,
# BUILD_DIR/bench/sign_load_bench, BUILD_DIR/bench/ocsp_load_bench).
#
# Prints per run each server's responses/s and server CPU (µs per response,
# from /proc/PID/stat), then medians and ratios: OCSP trustplane/cfssl (target
# >= 5x) and gencert cfssl ms / trustplane ms (target >= 1.00: trustplane no
# slower), with a note when the load client's core was saturated (then the
# responses/s ratio is the client's limit). Checks with openssl that both
# responders say good and revoked (with the reason) where expected and that
# their responses verify against the CA, and that gencert certificates from
# both verify. Servers listen on 127.0.0.1 only and are stopped by their PID.
set -euo pipefail
build=${1:?usage: bench/ocsp_vs_cfssl.sh BUILD_DIR}
tp=${TP:-$build/trustplane}
sign_load=${SIGN_LOAD:-$build/bench/sign_load_bench}
ocsp_load=${OCSP_LOAD:-$build/bench/ocsp_load_bench}
cfssl=${CFSSL:-/usr/bin/cfssl}
leaves=${LEAVES:-1000}
revoke_every=${REVOKE_EVERY:-10}
conns=${CONNS:-8}
count=${COUNT:-200000}
secs=${SECONDS_MAX:-5}
runs=${RUNS:-3}
gencert_n=${GENCERT_N:-50}
for f in "$tp" "$sign_load" "$ocsp_load" "$cfssl"; do
  [[ -x $f ]] || { echo "missing executable $f" >&2; exit 2; }
done
for tool in taskset sqlite3 jq openssl curl; do
  command -v "$tool" >/dev/null || { echo "missing tool $tool" >&2; exit 2; }
done
if (($(nproc) < 2)); then echo "needs two cores: the server on core 0, the load client on core 1" >&2; exit 2; fi
tp=$(realpath "$tp"); sign_load=$(realpath "$sign_load"); ocsp_load=$(realpath "$ocsp_load")

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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Any HTTP answer will do: cfssl's ocspserve has no health endpoint.
wait_port() {
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2
  return 1
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }

# --- the CA, the config and the CSRs (made once) ---
cat >ca-csr.json <<'EOF'
{"CN": "bench CA", "key": {"algo": "ecdsa", "size": 256}, "names": [{"O": "bench"}]}
EOF
"$tp" ca init ca-csr.json >/dev/null
cat >config.json <<'EOF'
{"signing": {"default": {"expiry": "168h"},
  "profiles": {"client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h"}}}}
EOF
cat >csr.json <<'EOF'
{"CN": "client.bench.example", "hosts": ["client.bench.example"], "key": {"algo": "ecdsa", "size": 256},
 "names": [{"O": "bench"}]}
EOF
aki=$(openssl x509 -in ca.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)

# --- the certdb: LEAVES certificates, every REVOKE_EVERY-th revoked ---
echo "{\"driver\": \"sqlite3\", \"data_source\": \"$work/tp-certdb.sqlite\"}" >tp-db.json
echo "{\"driver\": \"sqlite3\", \"data_source\": \"$work/cfssl-certdb.sqlite\"}" >cfssl-db.json
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf-key.pem \
  -subj "/O=bench/CN=client.bench.example" -addext "subjectAltName=DNS:client.bench.example" \
  -out leaf.csr 2>/dev/null
jq -n --rawfile csr leaf.csr '{certificate_request: $csr, profile: "client"}' >sign.json
port=$(free_port)
"$tp" ca serve -address 127.0.0.1 -port "$port" -ca ca.pem -ca-key ca-key.pem -config config.json \
  -db-config tp-db.json -responder ca.pem -responder-key ca-key.pem 2>tp-issue.log &
p=$!; pids+=("$p")
wait_port "$port"
"$sign_load" 127.0.0.1 "$port" /api/v1/cfssl/sign sign.json 4 "$leaves" 600 >/dev/null
sqlite3 tp-certdb.sqlite 'select serial_number from certificates order by rowid' >serials.txt
awk -v n="$revoke_every" 'NR % n == 0' serials.txt >revoked.txt
i=0
while read -r serial; do
  reason=keyCompromise; (( i++ % 2 )) && reason=superseded
  curl -sf -d "{\"serial\": \"$serial\", \"authority_key_id\": \"$aki\", \"reason\": \"$reason\"}" \
    "http://127.0.0.1:$port/api/v1/cfssl/revoke" | jq -e '.success and (.messages | length == 0)' >/dev/null \
    || { echo "revoking $serial failed" >&2; exit 1; }
done <revoked.txt
stop "$p"
# Anything the server did not sign (there should be nothing) is signed now.
"$tp" ca ocsp-refresh --db-config tp-db.json --ca ca.pem --ca-key ca-key.pem >/dev/null
n_certs=$(wc -l <serials.txt); n_revoked=$(wc -l <revoked.txt)
echo "== certdb: $n_certs certificates ($n_revoked revoked)," \
  "$(sqlite3 tp-certdb.sqlite 'select count(*) from ocsp_responses') pre-signed OCSP responses (trustplane)"

# cfssl: the same certificates, its own responses.
sqlite3 tp-certdb.sqlite ".backup cfssl-certdb.sqlite"
sqlite3 cfssl-certdb.sqlite 'delete from ocsp_responses'
"$cfssl" ocsprefresh -db-config cfssl-db.json -ca ca.pem -responder ca.pem -responder-key ca-key.pem \
  -loglevel 5 2>cfssl-refresh.log
"$cfssl" ocspdump -db-config cfssl-db.json -loglevel 5 >responses.b64 2>cfssl-dump.log
echo "== cfssl: $(grep -c . responses.b64) responses from ocsprefresh + ocspdump"
[[ $(grep -c . responses.b64) == "$n_certs" ]] || { echo "cfssl dumped the wrong number of responses" >&2; exit 1; }

# The requests: one per certificate; the first must be what openssl sends.
"$ocsp_load" make-requests ca.pem serials.txt requests.b64
sqlite3 tp-certdb.sqlite "select pem from certificates where serial_number = '$(head -1 serials.txt)'" >first.pem
openssl ocsp -issuer ca.pem -cert first.pem -no_nonce -reqout first-req.der >/dev/null
[[ $(base64 -w0 first-req.der) == "$(head -1 requests.b64)" ]] ||
  { echo "ocsp_load_bench's request differs from openssl's" >&2; exit 1; }

cport=$(free_port)
taskset -c 0 "$cfssl" ocspserve -address 127.0.0.1 -port "$cport" -responses responses.b64 -loglevel 5 \
  2>cfssl-serve.log &
cpid=$!; pids+=("$cpid")
tport=$(free_port)
taskset -c 0 "$tp" ca serve -address 127.0.0.1 -port "$tport" -ca ca.pem -ca-key ca-key.pem -config config.json \
  -db-config tp-db.json -responder ca.pem -responder-key ca-key.pem 2>tp-serve.log &
tpid=$!; pids+=("$tpid")
wait_port "$cport"; wait_port "$tport"

# openssl's view of a sample: good and revoked (with the reason), responses
# signed by the CA, from both servers.
check_sample() {
  local name=$1 port=$2 serial want out
  for serial in $(head -3 serials.txt) $(head -3 revoked.txt); do
    sqlite3 tp-certdb.sqlite "select pem from certificates where serial_number = '$serial'" >sample.pem
    want=good; grep -qx "$serial" revoked.txt && want=revoked
    out=$(openssl ocsp -issuer ca.pem -cert sample.pem -CAfile ca.pem -no_nonce \
      -url "http://127.0.0.1:$port/ocsp" 2>&1)
    grep -q "Response verify OK" <<<"$out" && grep -q "^sample.pem: $want" <<<"$out" &&
      { [[ $want == good ]] || grep -qE "Reason: (keyCompromise|superseded)" <<<"$out"; } ||
      { echo "  $name: serial $serial: expected $want, openssl says: $out" >&2; return 1; }
  done
  echo "  $name: openssl ocsp: 3 good and 3 revoked (with reason) as expected, responses verify"
}
check_sample cfssl "$cport"
check_sample trustplane "$tport"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# load NAME PORT PID -> appends "rate cpu_us_per_response" to NAME.results
load() {
  local name=$1 port=$2 pid=$3 c0 c1 line ok
  c0=$(cpu_ticks "$pid")
  line=$(taskset -c 1 "$ocsp_load" 127.0.0.1 "$port" /ocsp requests.b64 "$conns" "$count" "$secs")
  c1=$(cpu_ticks "$pid")
  ok=$(field ok "$line")
  [[ $(field unknown "$line") == 0 && $(field revoked "$line") != 0 ]] ||
    { echo "  $name: unexpected statuses: $line" >&2; return 1; }
  awk -v r="$(field rate "$line")" -v d=$((c1 - c0)) -v hz="$hz" -v ok="$ok" -v busy="$(field client_busy "$line")" \
    'BEGIN { printf "%s %.1f %s\n", r, (ok > 0 ? d / hz / ok * 1e6 : 0), busy }' >>"$name.results"
  echo "  $name: $line server_cpu_us=$(tail -1 "$name.results" | cut -d' ' -f2)"
}

echo "== OCSP: $conns keep-alive connections, $count requests (max ${secs}s) per run, $runs runs each;" \
  "servers on core 0, client on core 1"
# Warm-up: Go's heap, trustplane's in-memory response cache, the page cache.
taskset -c 1 "$ocsp_load" 127.0.0.1 "$cport" /ocsp requests.b64 "$conns" $((n_certs * 3)) "$secs" >/dev/null
taskset -c 1 "$ocsp_load" 127.0.0.1 "$tport" /ocsp requests.b64 "$conns" $((n_certs * 3)) "$secs" >/dev/null
rm -f cfssl.results trustplane.results
for _ in $(seq 1 "$runs"); do
  load cfssl "$cport" "$cpid"
  load trustplane "$tport" "$tpid"
done
stop "$cpid"; stop "$tpid"
ocsp_c=$(cut -d' ' -f1 cfssl.results | median); ocsp_ccpu=$(cut -d' ' -f2 cfssl.results | median)
ocsp_t=$(cut -d' ' -f1 trustplane.results | median); ocsp_tcpu=$(cut -d' ' -f2 trustplane.results | median)
ocsp_tbusy=$(cut -d' ' -f3 trustplane.results | median)

# --- gencert: GENCERT_N sequential processes each, alternating batches ---
echo "== gencert: $gencert_n sequential processes per run, $runs runs each (P-256, profile client, no certdb)"
mkdir -p gen
gencert_batch() {
  local name=$1 t0 t1 i
  t0=$(date +%s%N)
  for ((i = 0; i < gencert_n; i++)); do
    if [[ $name == cfssl ]]; then
      "$cfssl" gencert -ca ca.pem -ca-key ca-key.pem -config config.json -profile client csr.json \
        >"gen/$name-$i.json" 2>/dev/null
    else
      "$tp" --output json ca gencert --ca ca.pem --ca-key ca-key.pem --config config.json --profile client \
        --no-db csr.json >"gen/$name-$i.json"
    fi
  done
  t1=$(date +%s%N)
  awk -v d=$((t1 - t0)) -v n="$gencert_n" 'BEGIN { printf "%.2f\n", d / n / 1e6 }' >>"$name-gencert.results"
  echo "  $name: $(tail -1 "$name-gencert.results") ms per certificate"
}
rm -f cfssl-gencert.results trustplane-gencert.results
for _ in $(seq 1 "$runs"); do
  gencert_batch cfssl
  gencert_batch trustplane
done
for name in cfssl trustplane; do
  for i in 0 $((gencert_n - 1)); do
    jq -r .cert "gen/$name-$i.json" >gen.pem
    openssl verify -CAfile ca.pem -purpose sslclient gen.pem >/dev/null &&
      openssl x509 -in gen.pem -noout -text | grep -q "ASN1 OID: prime256v1" &&
      jq -r .key "gen/$name-$i.json" | openssl pkey -noout 2>/dev/null ||
      { echo "  $name: gen/$name-$i.json does not hold a verifying P-256 certificate and key" >&2; exit 1; }
  done
  echo "  $name: first and last certificate verify with openssl (clientAuth, P-256)"
done
gen_c=$(median <cfssl-gencert.results); gen_t=$(median <trustplane-gencert.results)

echo
echo "== summary (medians of $runs runs)"
printf "%-26s %12s %12s %8s %s\n" "" cfssl trustplane ratio target
printf "%-26s %12s %12s %8s %s\n" "OCSP responses/s" "$ocsp_c" "$ocsp_t" \
  "$(awk -v a="$ocsp_t" -v b="$ocsp_c" 'BEGIN { printf "%.2fx", a / b }')" ">= 5x (trustplane / cfssl)"
printf "%-26s %12s %12s %8s %s\n" "OCSP server CPU µs/resp" "$ocsp_ccpu" "$ocsp_tcpu" \
  "$(awk -v a="$ocsp_ccpu" -v b="$ocsp_tcpu" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')" "(cfssl / trustplane)"
printf "%-26s %12s %12s %8s %s\n" "gencert ms/certificate" "$gen_c" "$gen_t" \
  "$(awk -v a="$gen_c" -v b="$gen_t" 'BEGIN { printf "%.2fx", a / b }')" ">= 1.00x (cfssl / trustplane)"
# One core each: a load client near 100 % busy caps the responses/s it can
# measure, and the CPU row is then the comparison of the servers.
if awk -v b="$ocsp_tbusy" 'BEGIN { exit !(b >= 0.95) }'; then
  echo "note: the load client's core was ${ocsp_tbusy} busy during trustplane's runs, so trustplane's" \
    "responses/s is the client's limit; the server CPU row compares the servers"
fi
