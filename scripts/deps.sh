#!/usr/bin/env bash
# Installs the Debian packages Wlive builds against (libuv, http-parser, SQLite, zlib, hiredis),
# the redis-server the cluster tests run against, and the
# headless Chromium (with its driver and a CJK font) the operator page's browser test runs in,
# when any is missing. Sourced by scripts/run and scripts/test.
set -euo pipefail
wlive_packages=(libuv1-dev libhttp-parser-dev libsqlite3-dev zlib1g-dev libhiredis-dev redis-server pkg-config chromium chromium-driver fonts-wqy-zenhei)
wlive_missing=()
for package in "${wlive_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || wlive_missing+=("$package")
done
if [ ${#wlive_missing[@]} -gt 0 ]; then
  echo "installing ${wlive_missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${wlive_missing[@]}" >/dev/null
fi
