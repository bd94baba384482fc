#!/usr/bin/env bash
# Installs the Debian 12 packages trustplane builds and tests with; a no-op
# when they are all present. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  openssl libssl-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev
  libboost-dev libboost-system-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl procps python3-yaml postgresql
  softhsm2 opensc libengine-pkcs11-openssl libp11-kit-dev golang-cfssl nginx
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
