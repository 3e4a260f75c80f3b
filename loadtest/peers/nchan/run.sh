#!/usr/bin/env bash
# Starts nginx + nchan from nginx.conf in the foreground, its state in a scratch directory.
# Needs Debian's nginx-light and libnginx-mod-nchan (apt-get install nginx-light libnginx-mod-nchan).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${NCHAN_PREFIX:-/tmp/wlive-nchan}"
mkdir -p "$prefix"
ulimit -n 20000 2>/dev/null || true
exec nginx -p "$prefix" -c "$here/nginx.conf"
