#!/usr/bin/env bash
# bench/gateway_vs_nginx.sh BUILD_DIR [SECONDS] [RUNS]
#
# `trustplane gateway serve` against Debian's nginx, in the same run, with the
# same server certificate, client CA, client certificate, TLS version (1.3),
# backend and load generator (bench/tls_load_client.cc). Each server is
# pinned to core 0 with one worker (`taskset -c 0`) and measured while the
# other idles; the load client and the backend are pinned to core 1, so the
# rates are the server's while its core is saturated (see
# /work/shared/reference/baselines-peers-measured-here.md).
#
# Cases, per server (8 client threads for handshakes, 16 for keep-alive):
#   cold       cold clients: every connection presents a client certificate
#              the server has never seen (COLD_CERTS distinct certificates
#              and keys under the same client CA, each used once; the case
#              ends early when they run out), full mTLS handshake, one GET
#              proxied to the backend, close
#   returning  returning clients: the same certificate on every connection,
#              full handshake (no session resumption), one GET, close
#   keepalive  16 connections, one handshake each, then GETs back to back
# Besides rates it prints the server's CPU per operation (utime+stime of the
# server process over the run, divided by the operations), the number that
# does not depend on whether the client kept up, the rate one saturated core
# would give at that cost (1/CPU per op), and next to it the crypto a
# handshake cannot avoid, from `openssl speed` on the same core.
#
# Environment: COLD_CERTS (default 1500 per second of SECONDS),
# CASES (default "cold returning keepalive"), PROFILE=1 PROFILE_CASE=<case>.
#
# nginx is installed with apt when missing (sudo when not root).
set -euo pipefail

BUILD=${1:?usage: gateway_vs_nginx.sh BUILD_DIR [SECONDS] [RUNS]}
SECS=${2:-10}
RUNS=${3:-3}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
TP="$BUILD/trustplane"
[ -x "$TP" ] || { echo "no $TP: build the trustplane target first" >&2; exit 1; }
NCPU=$(nproc)
if [ "$NCPU" -lt 2 ]; then echo "needs 2 cores (server on 0, client on 1)" >&2; exit 1; fi

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# The load client, backend and certificate maker are plain C++ with OpenSSL;
# built here so the bench needs no CMake change.
CXX=${CXX:-g++}
for tool in tls_load_client bench_backend make_client_certs; do
  if [ ! -x "$BUILD/$tool" ] || [ "$SRC/bench/$tool.cc" -nt "$BUILD/$tool" ]; then
    $CXX -std=c++20 -O2 -Wall -Wextra -Werror "$SRC/bench/$tool.cc" -lssl -lcrypto -pthread \
      -o "$BUILD/$tool"
  fi
done

W=$(mktemp -d /tmp/gwbench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

# --- certificates: P-256 everywhere, as the reference measurements use ---
cd "$W"
ec() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
ec ca-key.pem
openssl req -x509 -new -key ca-key.pem -subj "/CN=bench client root" -days 30 -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
ec client-key.pem
openssl req -new -key client-key.pem -subj "/CN=bench-client" -out client.csr 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
  -extfile client.ext -out client.pem 2>/dev/null
ec server-key.pem
openssl req -x509 -new -key server-key.pem -subj "/CN=bench server" -days 30 -out server.pem \
  -addext "subjectAltName=IP:127.0.0.1" -addext "extendedKeyUsage=serverAuth" 2>/dev/null
COLD_CERTS=${COLD_CERTS:-$((SECS * 1500))}
"$BUILD/make_client_certs" ca.pem ca-key.pem "$COLD_CERTS" cold-clients.pem

"$TP" --home "$W/home" init >/dev/null
"$TP" --home "$W/home" trust add --tenant bench ca.pem >/dev/null

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
BPORT=$(free_port); GPORT=$(free_port); NPORT=$(free_port)

taskset -c 1 "$BUILD/bench_backend" "$BPORT" & PIDS+=($!)

cat > gateway.yaml <<EOF
listen: 127.0.0.1:$GPORT
tls: {cert: server.pem, key: server-key.pem, min_version: TLS1.3}
client_validation: REJECT_INVALID
trust: {home: $W/home}
headers:
  X-Client-Cert-Chain-Verified: "{client_cert_chain_verified}"
  X-Client-Cert-Hash: "{client_cert_sha256_fingerprint}"
routes:
  - {prefix: /, backend: "http://127.0.0.1:$BPORT", allow: {tenants: [bench]}}
EOF

mkdir -p nginx-tmp
cat > nginx.conf <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $W/nginx-tmp/body;
  proxy_temp_path $W/nginx-tmp/proxy;
  fastcgi_temp_path $W/nginx-tmp/fastcgi;
  uwsgi_temp_path $W/nginx-tmp/uwsgi;
  scgi_temp_path $W/nginx-tmp/scgi;
  keepalive_requests 10000000;
  upstream backend { server 127.0.0.1:$BPORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NPORT ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $W/server.pem;
    ssl_certificate_key $W/server-key.pem;
    ssl_client_certificate $W/ca.pem;
    ssl_verify_client on;
    ssl_verify_depth 2;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Client-Cert-Chain-Verified \$ssl_client_verify;
      proxy_set_header X-Client-Cert-Hash \$ssl_client_fingerprint;
    }
  }
}
EOF

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2; return 1
}

# utime+stime in clock ticks of a process and its threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# load_args CASE -> the load client's arguments for that case
load_args() {
  case $1 in
    cold) echo --cert-list cold-clients.pem --mode handshake --concurrency 8 ;;
    returning) echo --cert client.pem --key client-key.pem --mode handshake --concurrency 8 ;;
    keepalive) echo --cert client.pem --key client-key.pem --mode keepalive --concurrency 16 \
                 --requests 1000000 ;;
  esac
}

# run_case NAME SERVER_PID PORT CASE RUN -> prints one result line
run_case() {
  local name=$1 spid=$2 port=$3 case=$4 run=$5 out before after ops
  before=$(cpu_ticks "$spid")
  # shellcheck disable=SC2046
  out=$(taskset -c 1 "$BUILD/tls_load_client" --port "$port" $(load_args "$case") \
        --duration "$SECS")
  after=$(cpu_ticks "$spid")
  if [ "$case" = keepalive ]; then ops=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$out");
  else ops=$(sed 's/.* connections=\([0-9]*\).*/\1/' <<<"$out"); fi
  local cpu_s us_per_op
  cpu_s=$(awk -v a="$after" -v b="$before" -v t="$TICK" 'BEGIN{printf "%.2f", (a-b)/t}')
  us_per_op=$(awk -v c="$cpu_s" -v o="$ops" 'BEGIN{ if (o>0) printf "%.1f", c*1e6/o; else print "nan"}')
  echo "$name $case $out server_cpu_s=$cpu_s server_us_per_op=$us_per_op run=$run"
}

# The crypto a full TLS 1.3 mTLS handshake needs on the server, priced by
# `openssl speed` on the server's core: 1 ECDSA P-256 sign (CertificateVerify),
# X25519 key generation + derive (2 X25519 ops), 1 ECDSA verify (the
# client's CertificateVerify) + k verifies of the chain (k=1 here: the root
# signs the leaf; a root's own signature is not checked). See
# /work/shared/reference/baselines-peers-measured-here.md section 2.
SPEED=$(taskset -c 0 openssl speed -seconds 1 ecdsap256 ecdhx25519 2>/dev/null)
CRYPTO_US=$(awk '/ecdsa \(nistp256\)/ {s=$(NF-1); v=$NF} /ecdh \(X25519\)/ {x=$NF}
  END { if (s>0 && v>0 && x>0) printf "%.1f", 1e6*(1/s + 2/x + 2/v); else print "nan" }' <<<"$SPEED")
SPEED_LINE=$(awk '/ecdsa \(nistp256\)/ {s=$(NF-1); v=$NF} /ecdh \(X25519\)/ {x=$NF}
  END { printf "ECDSA P-256 sign %.0f/s, verify %.0f/s, X25519 %.0f/s", s, v, x }' <<<"$SPEED")
CASES=${CASES:-cold returning keepalive}

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cores; servers on core 0 (1 worker), client+backend on core 1"
echo "# nginx: $($NGINX -v 2>&1); openssl: $(openssl version); ${SECS}s x $RUNS runs per case; $COLD_CERTS cold client certificates"
echo "# openssl speed on core 0: $SPEED_LINE -> handshake crypto $CRYPTO_US us (1 sign + 2 X25519 + 2 verifies)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other tenants' load inflates CPU per op for both servers)"
RESULTS=$W/results.txt
: > "$RESULTS"
for run in $(seq "$RUNS"); do
  # Both servers wait on core 0 (fresh each run: no verified-chain cache or
  # session carries over); only the one under load uses it. The two
  # measurements of a case follow each other within seconds, in alternating
  # order, because this shared machine's speed drifts by up to 1.5x over
  # minutes: a pair sees the same machine, a run-long block does not.
  taskset -c 0 "$TP" gateway serve --config gateway.yaml --workers 1 --access-log off \
    2> gateway.err & GPID=$!; PIDS+=("$GPID")
  taskset -c 0 "$NGINX" -c "$W/nginx.conf" -p "$W" 2> nginx.err & NMASTER=$!; PIDS+=("$NMASTER")
  wait_port "$GPORT"
  wait_port "$NPORT"
  NWORKER=$(pgrep -P "$NMASTER" | head -1)
  for c in $CASES; do
    if [ $((run % 2)) = 1 ]; then order="gateway nginx"; else order="nginx gateway"; fi
    for s in $order; do
      if [ "$s" = gateway ]; then run_case gateway "$GPID" "$GPORT" "$c" "$run" | tee -a "$RESULTS"
      else run_case nginx "$NWORKER" "$NPORT" "$c" "$run" | tee -a "$RESULTS"; fi
    done
  done
  kill "$GPID"; wait "$GPID" 2>/dev/null || true
  kill -QUIT "$NMASTER"; wait "$NMASTER" 2>/dev/null || true
done

# PROFILE=1: also profile the gateway under PROFILE_CASE (default returning;
# perf record on the pinned server); the report goes to
# BUILD_DIR/gateway_<case>_perf*.txt.
if [ "${PROFILE:-0}" = 1 ]; then
  PCASE=${PROFILE_CASE:-returning}
  taskset -c 0 "$TP" gateway serve --config gateway.yaml --workers 1 --access-log off \
    2> gateway.err & GPID=$!; PIDS+=("$GPID")
  wait_port "$GPORT"
  # shellcheck disable=SC2046
  taskset -c 1 "$BUILD/tls_load_client" --port "$GPORT" $(load_args "$PCASE") \
    --duration $((SECS + 2)) > /dev/null & LPID=$!
  sleep 1
  # DWARF unwinding: libcrypto has no frame pointers, and the inclusive
  # cost of the gateway's own functions is what matters here.
  P="$BUILD/gateway_${PCASE}"
  perf record -q -F 499 --call-graph dwarf,16384 -o "$P.perf.data" \
    -p "$GPID" -- sleep "$SECS" 2>/dev/null
  wait "$LPID" || true
  kill "$GPID"; wait "$GPID" 2>/dev/null || true
  # --no-inline: resolving inlined frames through addr2line takes many
  # minutes on this binary; the symbol names are cut to 160 columns.
  perf report -i "$P.perf.data" --no-children --no-inline --sort dso,symbol \
    --percent-limit 0.7 --stdio -g none 2>/dev/null | grep '%' | cut -c1-160 \
    > "${P}_perf.txt" || true
  perf report -i "$P.perf.data" --children --no-inline --sort symbol --percent-limit 1 \
    --stdio -g none 2>/dev/null | grep '%' | cut -c1-160 > "${P}_perf_children.txt" || true
  echo "# profile: ${P}_perf.txt (self), ${P}_perf_children.txt (inclusive), $P.perf.data"
fi
[ "$RUNS" -gt 0 ] || exit 0

# Medians over the runs, and the ratios gateway/nginx (rates: higher is
# better; CPU per op: nginx/gateway, so >1 means the gateway is cheaper).
python3 - "$RESULTS" "$CRYPTO_US" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    rows.setdefault((f[0], f[1]), []).append(kv)
crypto_us = float(sys.argv[2])
def med(server, case, key):
    v = [float(r[key]) for r in rows.get((server, case), []) if r.get(key) not in (None, "nan")]
    return statistics.median(v) if v else float("nan")
cases = [c for c in ("cold", "returning", "keepalive") if any(k[1] == c for k in rows)]
targets = {"cold": 1.2, "returning": 1.5, "keepalive": 1.0}
print()
print(f"{'case':<10} {'server':<8} {'rate/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'srv us/op':>9} "
      f"{'1-core cap/s':>12} {'crypto':>7} {'failures':>8}")
for case in cases:
    key = "req_per_s" if case == "keepalive" else "conn_per_s"
    for server in ("gateway", "nginx"):
        us = med(server, case, "server_us_per_op")
        share = f"{crypto_us / us * 100:6.0f}%" if case != "keepalive" and us > 0 else f"{'-':>7}"
        print(f"{case:<10} {server:<8} {med(server, case, key):>9.1f} {med(server, case, 'p50_ms'):>7.3f} "
              f"{med(server, case, 'p99_ms'):>7.3f} {us:>9.1f} {1e6 / us if us > 0 else 0:>12.0f} "
              f"{share} {sum(int(r['failures']) for r in rows.get((server, case), [])):>8}")
    rate = med("gateway", case, key) / med("nginx", case, key)
    cpu = med("nginx", case, "server_us_per_op") / med("gateway", case, "server_us_per_op")
    # The ratio within each run's back-to-back pair, then their median: the
    # figure the machine's drift disturbs least.
    per_run = {}
    for server in ("gateway", "nginx"):
        for r in rows.get((server, case), []):
            per_run.setdefault(r["run"], {})[server] = float(r["server_us_per_op"])
    pairs = sorted(v["nginx"] / v["gateway"] for v in per_run.values()
                   if v.get("gateway", 0) > 0 and "nginx" in v)
    paired = (f"; paired runs: median {statistics.median(pairs):.2f}x, range "
              f"{pairs[0]:.2f}-{pairs[-1]:.2f}x") if pairs else ""
    print(f"{case:<10} ratio gateway/nginx: server CPU per op {cpu:.2f}x (nginx/gateway, target "
          f">= {targets[case]}x), rate {rate:.2f}x{paired}")
print(f"# crypto: the handshake's unavoidable crypto ({crypto_us:.0f} us by openssl speed) as a share "
      "of the server CPU per handshake")
EOF
