#!/usr/bin/env bash
# bench/gateway_vs_nginx.sh BUILD_DIR [SECONDS] [RUNS]
#
# `trustplane gateway serve` against Debian's nginx, in the same run, with the
# same server certificate, client CA, client certificate, TLS version (1.3),
# backend and load generator (bench/tls_load_client.cc). Each server runs
# alone, pinned to core 0 with one worker (`taskset -c 0`); the load client
# and the backend are pinned to core 1, so the rates are the server's while
# its core is saturated (see /work/shared/reference/baselines-peers-measured-here.md).
#
# Cases, per server:
#   handshake  returning clients: new connection, full mTLS handshake (no
#              session resumption), one GET proxied to the backend, close
#   keepalive  16 connections, one handshake each, then GETs back to back
# Besides rates it prints the server's CPU per operation (utime+stime of the
# server process over the run, divided by the operations), the number that
# does not depend on whether the client kept up.
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

# The load client and backend are plain C++ with OpenSSL; built here so the
# bench needs no CMake change.
CXX=${CXX:-g++}
for tool in tls_load_client bench_backend; do
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

# run_case NAME SERVER_PID PORT MODE -> prints one result line
run_case() {
  local name=$1 spid=$2 port=$3 mode=$4 conc out before after ops
  if [ "$mode" = handshake ]; then conc=8; else conc=16; fi
  before=$(cpu_ticks "$spid")
  out=$(taskset -c 1 "$BUILD/tls_load_client" --port "$port" --cert client.pem --key client-key.pem \
        --mode "$mode" --concurrency "$conc" --duration "$SECS" --requests 1000000)
  after=$(cpu_ticks "$spid")
  if [ "$mode" = handshake ]; then ops=$(sed 's/.* connections=\([0-9]*\).*/\1/' <<<"$out");
  else ops=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<<"$out"); fi
  local cpu_s us_per_op
  cpu_s=$(awk -v a="$after" -v b="$before" -v t="$TICK" 'BEGIN{printf "%.2f", (a-b)/t}')
  us_per_op=$(awk -v c="$cpu_s" -v o="$ops" 'BEGIN{ if (o>0) printf "%.1f", c*1e6/o; else print "nan"}')
  echo "$name $mode $out server_cpu_s=$cpu_s server_us_per_op=$us_per_op"
}

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cores; servers on core 0 (1 worker), client+backend on core 1"
echo "# nginx: $($NGINX -v 2>&1); openssl: $(openssl version); ${SECS}s x $RUNS runs per case"
RESULTS=$W/results.txt
: > "$RESULTS"
for run in $(seq "$RUNS"); do
  # Each server alone on core 0 while it is measured.
  taskset -c 0 "$TP" gateway serve --config gateway.yaml --workers 1 --access-log off \
    2> gateway.err & GPID=$!; PIDS+=("$GPID")
  wait_port "$GPORT"
  for mode in handshake keepalive; do run_case gateway "$GPID" "$GPORT" $mode | tee -a "$RESULTS"; done
  kill "$GPID"; wait "$GPID" 2>/dev/null || true

  taskset -c 0 "$NGINX" -c "$W/nginx.conf" -p "$W" 2> nginx.err & NMASTER=$!; PIDS+=("$NMASTER")
  wait_port "$NPORT"
  NWORKER=$(pgrep -P "$NMASTER" | head -1)
  for mode in handshake keepalive; do run_case nginx "$NWORKER" "$NPORT" $mode | tee -a "$RESULTS"; done
  kill -QUIT "$NMASTER"; wait "$NMASTER" 2>/dev/null || true
done

# PROFILE=1: also profile the gateway's handshakes (perf record -g on the
# pinned server under the handshake load); the report goes to
# BUILD_DIR/gateway_handshake_perf*.txt.
if [ "${PROFILE:-0}" = 1 ]; then
  taskset -c 0 "$TP" gateway serve --config gateway.yaml --workers 1 --access-log off \
    2> gateway.err & GPID=$!; PIDS+=("$GPID")
  wait_port "$GPORT"
  taskset -c 1 "$BUILD/tls_load_client" --port "$GPORT" --cert client.pem --key client-key.pem \
    --mode handshake --concurrency 8 --duration $((SECS + 2)) > /dev/null & LPID=$!
  sleep 1
  # DWARF unwinding: libcrypto has no frame pointers, and the inclusive
  # cost of the gateway's own functions is what matters here.
  perf record -q -F 499 --call-graph dwarf,16384 -o "$BUILD/gateway_handshake.perf.data" \
    -p "$GPID" -- sleep "$SECS" 2>/dev/null
  wait "$LPID" || true
  kill "$GPID"; wait "$GPID" 2>/dev/null || true
  perf report -i "$BUILD/gateway_handshake.perf.data" --no-children --sort dso,symbol \
    --percent-limit 0.7 --stdio -g none 2>/dev/null | grep '%' | sed 's/  *$//; s/ \{3,\}/  /g' \
    > "$BUILD/gateway_handshake_perf.txt" || true
  perf report -i "$BUILD/gateway_handshake.perf.data" --children --sort symbol --percent-limit 1 \
    --stdio -g none 2>/dev/null | grep '%' | sed 's/  *$//; s/ \{3,\}/  /g' \
    > "$BUILD/gateway_handshake_perf_children.txt" || true
  echo "# profile: $BUILD/gateway_handshake_perf.txt (self), gateway_handshake_perf_children.txt (inclusive), gateway_handshake.perf.data"
fi
[ "$RUNS" -gt 0 ] || exit 0

# Medians over the runs, and the ratios gateway/nginx (rates: higher is
# better; CPU per op: nginx/gateway, so >1 means the gateway is cheaper).
python3 - "$RESULTS" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    rows.setdefault((f[0], f[1]), []).append(kv)
def med(server, mode, key):
    v = [float(r[key]) for r in rows.get((server, mode), []) if r.get(key) not in (None, "nan")]
    return statistics.median(v) if v else float("nan")
print()
print(f"{'case':<10} {'server':<8} {'rate/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'srv us/op':>10} {'failures':>8}")
for mode, key in (("handshake", "conn_per_s"), ("keepalive", "req_per_s")):
    for server in ("gateway", "nginx"):
        print(f"{mode:<10} {server:<8} {med(server, mode, key):>10.1f} {med(server, mode, 'p50_ms'):>8.3f} "
              f"{med(server, mode, 'p99_ms'):>8.3f} {med(server, mode, 'server_us_per_op'):>10.1f} "
              f"{sum(int(r['failures']) for r in rows.get((server, mode), [])):>8}")
    rate = med("gateway", mode, key) / med("nginx", mode, key)
    cpu = med("nginx", mode, "server_us_per_op") / med("gateway", mode, "server_us_per_op")
    print(f"{mode:<10} ratio gateway/nginx: rate {rate:.2f}x, server CPU per op {cpu:.2f}x (nginx/gateway)")
EOF
