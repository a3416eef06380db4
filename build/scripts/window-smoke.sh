#!/usr/bin/env bash
# Real-window smoke test: start the production binary under Xvfb in a private D-Bus session,
# wait for its window, capture it, and fail if the window never appears or stays blank.
# Usage: build/scripts/window-smoke.sh BINARY [OUTDIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/build/scripts/session.sh"
in_session --display "$0" "$@"

. "$root/build/scripts/window.sh"
window_start "window smoke" "$1" "${2:-$(mktemp -d -t idpsync-window-XXXXXX)}"
shot="$out/window.png"

# The window maps before React paints: capture until the page shows more than a flat
# background (text and the Atlassian frame give hundreds of colours), for up to 30 s.
colours=0
for _ in $(seq 1 60); do
  import -window "$wid" "$shot" 2>/dev/null || true
  if [ -s "$shot" ]; then
    colours=$(convert "$shot" -format '%k' info: 2>/dev/null || echo 0)
    [ "$colours" -ge 64 ] && break
  fi
  sleep 0.5
done
# Data the page loads from the backend arrives a moment after the first paint: the shot waits for
# it, up to the 3 s it slept for it: the empty list's "Add an identity provider" drawn (a fresh
# IDPSYNC_HOME has no directory).
if [ "$colours" -ge 64 ]; then
  shot_until "$shot" 3 drawn_at "${EMPTY_X:-760}" "${EMPTY_Y:-349}" || true
  colours=$(convert "$shot" -format '%k' info: 2>/dev/null || echo 0)
fi
[ -s "$shot" ] || fail "could not capture the window"
[ "$colours" -gt 1 ] || fail "the window is blank (one colour); screenshot $shot"
[ "$colours" -ge 64 ] || fail "the window shows almost nothing ($colours colours); screenshot $shot"
size=$(convert "$shot" -format '%wx%h' info:)
echo "window smoke: passed (window $wid, $size, $colours colours, screenshot $shot)"
