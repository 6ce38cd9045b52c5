#!/usr/bin/env bash
# End to end, as a newcomer would: the demo (tools/run-demo) signs a demo person in through
# each provider with curl and checks what the platform received. Runs on free ports in a scratch state directory
# so it never collides with a demo someone is running.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "demo_smoke: no free port found" >&2
  exit 1
}

LMSGW_BUILD_DIR=$build LMSGW_DEMO_STATE_DIR=$state \
LMSGW_DEMO_GATEWAY_PORT=$(free_port) LMSGW_DEMO_PLATFORM_PORT=$(free_port) \
LMSGW_DEMO_CLEVER_PORT=$(free_port) LMSGW_DEMO_CLEVER_BROWSER_PORT=$(free_port) \
LMSGW_DEMO_GOOGLE_PORT=$(free_port) LMSGW_DEMO_GOOGLE_BROWSER_PORT=$(free_port) \
LMSGW_DEMO_FACEBOOK_PORT=$(free_port) LMSGW_DEMO_FACEBOOK_BROWSER_PORT=$(free_port) \
LMSGW_DEMO_LMS_PORT=$(free_port) LMSGW_DEMO_LMS_BROWSER_PORT=$(free_port) \
  "$root/tools/run-demo" --smoke
