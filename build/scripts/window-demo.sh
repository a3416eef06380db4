#!/usr/bin/env bash
# Real-window demo test: the production binary in demo mode (IDPSYNC_DEMO=1: the real backend on
# the loopback emulators, the demo directory set up and signed in at start) under Xvfb, driven
# with xdotool to the demo directory's overview and its "Preview changes". WebKitGTK has no
# DevTools protocol, so the proof is on disk: the preview writes its report into IDPSYNC_HOME.
# Usage: build/scripts/window-demo.sh BINARY [OUTDIR]
# The click positions are those of the 1280x800 window (no window manager, so at 0,0), measured
# in the e2e run of the same screens (frontend/e2e/scenarios/admin.mjs logs them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/build/scripts/session.sh"
in_session --display "$0" "$@"

. "$root/build/scripts/window.sh"
window_start "window demo" "$1" "${2:-$(mktemp -d -t idpsync-window-demo-XXXXXX)}" IDPSYNC_DEMO=1

# The backend opens (and sets up the demo directory) on the screen's first call: wait for the
# store, then for the sign-in through the emulated browser and the list to render.
for _ in $(seq 1 120); do
  ls "$home"/*.db >/dev/null 2>&1 && break
  sleep 0.25
done
sleep "${WINDOW_DEMO_SETTLE:-5}"
import -window "$wid" "$out/1-list.png" 2>/dev/null || true

# The directory's name in the first row of the Identity providers table.
xdotool mousemove --window "$wid" "${ROW_X:-340}" "${ROW_Y:-246}" click 1
sleep 2
import -window "$wid" "$out/2-overview.png" 2>/dev/null || true
# "Preview changes" in the overview's page actions.
xdotool mousemove --window "$wid" "${PREVIEW_X:-1070}" "${PREVIEW_Y:-104}" click 1

for _ in $(seq 1 120); do
  ls "$home"/reports/*-preview-*.json >/dev/null 2>&1 && break
  kill -0 "$app" 2>/dev/null || fail "the app exited"
  sleep 0.5
done
sleep 2
import -window "$wid" "$out/3-preview.png" 2>/dev/null || true
ls "$home"/reports/*-preview-*.json >/dev/null 2>&1 || fail "no preview report after clicking the directory and Preview changes; screenshots in $out"
echo "window demo: passed (overview reached, preview report written; screenshots in $out)"
