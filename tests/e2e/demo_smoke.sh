#!/usr/bin/env bash
# End to end, as a newcomer would: the demo (tools/run-demo) signs a demo person in through
# each provider with curl and checks what the platform received. Runs on free ports in a scratch state directory
# so it never collides with a demo someone is running.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT

# Ports come from 10000-15999: below the kernel's ephemeral range, where another test's outgoing
# connection may take a port before the demo binds it, and apart from the ports the C++ tests pick
# (tests/support/process.cpp), since the demo holds its ports unbound for seconds while it starts.
# Ten distinct ports, each free when probed.
attempts=0
ports=()
while [ "${#ports[@]}" -lt 10 ]; do
  [ "$attempts" -lt 500 ] || { echo "demo_smoke: no free ports found" >&2; exit 1; }
  attempts=$((attempts + 1))
  port=$((10000 + RANDOM % 6000))
  case " ${ports[*]} " in *" $port "*) continue ;; esac
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
  ports+=("$port")
done

LMSGW_BUILD_DIR=$build LMSGW_DEMO_STATE_DIR=$state \
LMSGW_DEMO_GATEWAY_PORT=${ports[0]} LMSGW_DEMO_PLATFORM_PORT=${ports[1]} \
LMSGW_DEMO_CLEVER_PORT=${ports[2]} LMSGW_DEMO_CLEVER_BROWSER_PORT=${ports[3]} \
LMSGW_DEMO_GOOGLE_PORT=${ports[4]} LMSGW_DEMO_GOOGLE_BROWSER_PORT=${ports[5]} \
LMSGW_DEMO_FACEBOOK_PORT=${ports[6]} LMSGW_DEMO_FACEBOOK_BROWSER_PORT=${ports[7]} \
LMSGW_DEMO_LMS_PORT=${ports[8]} LMSGW_DEMO_LMS_BROWSER_PORT=${ports[9]} \
  "$root/tools/run-demo" --smoke
