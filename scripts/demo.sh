#!/usr/bin/env bash
# The main job on embedded defaults: a trustplane home in ./.trustplane (local
# bucket directory), a demo tenant's CA onboarded, a client certificate
# checked as the load balancer would, and the Certificate Manager trust config
# rendered. Safe to run again: the second run finds everything already trusted.
set -euo pipefail
tp=${1:-build/release/trustplane}
tp=$(realpath "$tp")
export TRUSTPLANE_HOME=${TRUSTPLANE_HOME:-$PWD/.trustplane}
pki=$TRUSTPLANE_HOME/demo-pki
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$tp" init
if [ ! -f "$pki/client.pem" ]; then
  mkdir -p "$pki" && chmod 700 "$pki"
  ( cd "$pki"
    umask 077
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
      -subj "/O=Acme Corp/CN=Acme Root CA" -keyout root-key.pem -out root.pem \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/O=Acme Corp/CN=Acme Issuing CA" -keyout intermediate-key.pem -out intermediate.csr 2>/dev/null
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.ext
    openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root-key.pem -CAcreateserial -days 1825 \
      -sha256 -extfile ca.ext -out intermediate.pem 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/O=Acme Corp/CN=svc-payments" -keyout client-key.pem -out client.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://acme.example/payments,DNS:payments.acme.example\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > leaf.ext
    openssl x509 -req -in client.csr -CA intermediate.pem -CAkey intermediate-key.pem -CAcreateserial \
      -days 90 -sha256 -extfile leaf.ext -out client.pem 2>/dev/null
    rm -f ./*.csr ./*.ext ./*.srl )
  echo "demo PKI for tenant acme written to $pki"
fi
step "$tp" cert fingerprint "$pki/root.pem" "$pki/intermediate.pem"
step "$tp" trust add --tenant acme "$pki/root.pem" "$pki/intermediate.pem"
step "$tp" trust list
step "$tp" verify --cert "$pki/client.pem"
step "$tp" trust export --out "$TRUSTPLANE_HOME/trust-config.yaml"
echo "Certificate Manager trust config: $TRUSTPLANE_HOME/trust-config.yaml"
echo "  (gcloud certificate-manager trust-configs import trustplane --source=$TRUSTPLANE_HOME/trust-config.yaml)"
step "$tp" audit verify
