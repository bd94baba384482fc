#!/usr/bin/env bash
# Makes a throwaway SoftHSM2 token with an AES-256 KEK (version 1) for tests
# and demos, all inside DIR, and prints the two settings that use it:
#   export SOFTHSM2_CONF=DIR/softhsm2.conf
#   pkcs11:token=LABEL;object=kek?module-path=...&pin-value=PIN
# Usage: scripts/softhsm-test-token.sh DIR [LABEL] [PIN]
# Needs Debian packages softhsm2 and opensc (pkcs11-tool). Never for real keys:
# the PIN is on the command line and the token lives in a plain directory.
set -euo pipefail

dir=${1:?usage: $0 DIR [LABEL] [PIN]}
label=${2:-trustplane}
pin=${3:-1234}
module=/usr/lib/softhsm/libsofthsm2.so

mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF=$dir/softhsm2.conf

softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "so-$pin" >/dev/null
# pkcs11-tool warns on stderr that it cannot read the (sensitive) key value;
# show its output only when it fails.
if ! out=$(pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" \
  --keygen --key-type AES:32 --label kek --id 01 --usage-wrap 2>&1); then
  echo "$out" >&2
  exit 1
fi

echo "export SOFTHSM2_CONF=$SOFTHSM2_CONF"
echo "pkcs11:token=$label;object=kek?module-path=$module&pin-value=$pin"
