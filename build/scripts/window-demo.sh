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

row_x=${ROW_X:-340} row_y=${ROW_Y:-246} preview_x=${PREVIEW_X:-1070} preview_y=${PREVIEW_Y:-104}
# The backend opens on the screen's first call and, before that call answers, creates the demo
# directory and signs it in through the emulated browser (demomode.StartGUI): the list then draws
# its row. Waited for on screen (it slept 5 s, then 2 s after the click): the directory's name in
# the first row of the Identity providers table, then the overview's "Preview changes".
shot_until "$out/1-list.png" 60 drawn_at "$row_x" "$row_y" || fail "the list shows no directory at $row_x,$row_y; screenshot $out/1-list.png"
xdotool mousemove --window "$wid" "$row_x" "$row_y" click 1
shot_until "$out/2-overview.png" 30 light_button_at "$preview_x" "$preview_y" ||
  fail "no Preview changes at $preview_x,$preview_y after clicking the directory; screenshot $out/2-overview.png"
xdotool mousemove --window "$wid" "$preview_x" "$preview_y" click 1

for _ in $(seq 1 240); do
  ls "$home"/reports/*-preview-*.json >/dev/null 2>&1 && break
  kill -0 "$app" 2>/dev/null || fail "the app exited"
  sleep 0.25
done
# The preview on screen, for the reader (the report is the proof): the screen draws it a moment
# after the report is written, once "Sync now" is drawn again over its spinner (it slept 2 s).
shot_until "$out/3-preview.png" 5 drawn_at "${SYNC_X:-1196}" "${SYNC_Y:-104}" || true
ls "$home"/reports/*-preview-*.json >/dev/null 2>&1 || fail "no preview report after clicking the directory and Preview changes; screenshots in $out"
echo "window demo: passed (overview reached, preview report written; screenshots in $out)"
