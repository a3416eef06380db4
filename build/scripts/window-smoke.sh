#!/usr/bin/env bash
# Real-window smoke test: start the production binary under Xvfb in a private D-Bus session,
# wait for its window, capture it, and fail if the window never appears or stays blank.
# Usage: build/scripts/window-smoke.sh BINARY [OUTDIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/build/scripts/session.sh"
in_session --display "$0" "$@"

bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$(mktemp -d -t idpsync-window-XXXXXX)}
mkdir -p "$out"
shot="$out/window.png"
home=$(mktemp -d -t idpsync-window-home-XXXXXX)

IDPSYNC_HOME=$home "$bin" >"$out/app.log" 2>&1 &
app=$!
cleanup() {
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

fail() {
  echo "window smoke: FAILED: $*" >&2
  sed 's/^/  app: /' "$out/app.log" | tail -n 20 >&2
  exit 1
}

wid=""
for _ in $(seq 1 120); do
  wid=$(xdotool search --onlyvisible --name '^IdP Sync$' 2>/dev/null | head -n 1 || true)
  [ -n "$wid" ] && break
  kill -0 "$app" 2>/dev/null || fail "the app exited before showing a window"
  sleep 0.25
done
[ -n "$wid" ] || fail "no window titled 'IdP Sync' within 30 s"

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
# Data the page loads from the backend arrives a moment after the first paint.
if [ "$colours" -ge 64 ]; then
  sleep "${SMOKE_SETTLE:-3}"
  import -window "$wid" "$shot" 2>/dev/null || true
  colours=$(convert "$shot" -format '%k' info: 2>/dev/null || echo 0)
fi
[ -s "$shot" ] || fail "could not capture the window"
[ "$colours" -gt 1 ] || fail "the window is blank (one colour); screenshot $shot"
[ "$colours" -ge 64 ] || fail "the window shows almost nothing ($colours colours); screenshot $shot"
size=$(convert "$shot" -format '%wx%h' info:)
echo "window smoke: passed (window $wid, $size, $colours colours, screenshot $shot)"
