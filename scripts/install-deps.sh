#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages custody needs to build and test. Only what is
# missing is installed. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake git ca-certificates
  libssl-dev libarchive-dev rapidjson-dev libcli11-dev catch2
  libcurl4-openssl-dev libcpp-httplib-dev libhowardhinnant-date-dev libtomlplusplus-dev
  openssl coreutils tar
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
