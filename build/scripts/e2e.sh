#!/usr/bin/env bash
# End-to-end test: the app built for development (Wails' `dev` build tag: its dev server lets a
# browser call the real Go backend over a websocket) serving the built frontend (frontend/dist,
# the bundle that ships, under its strict CSP) in an Xvfb display, driven in Debian's Chromium by
# frontend/e2e/run.mjs.
# Usage: build/scripts/e2e.sh [scenario ...]
# Env: E2E_OUT (artifacts; default a temp dir), WAILS_TAGS (default webkit2_41).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/build/scripts/session.sh"
in_session --display "$0" "$@"

out=${E2E_OUT:-$(mktemp -d -t idpsync-e2e-XXXXXX)}
mkdir -p "$out"
home=$(mktemp -d -t idpsync-e2e-home-XXXXXX)
bin=$(mktemp -d -t idpsync-e2e-bin-XXXXXX)
# Not 34115: a developer's own `wails dev` may hold it.
port=$(free_port)
url="http://localhost:$port/"

cd "$root"
# Not `wails dev`, which took 14 s (27 s on a loaded machine) to be ready: it starts Vite, then
# builds the app, and Vite then served the unbundled modules (Atlaskit's, a request each) on every
# page load of the scenarios (the first scenario, one page load: 4.2 s, now 1.3). The app is what
# `wails dev` builds (go build -tags dev plus the user's tags, with its CGO flags, so the build
# cache is shared with `wails build`; no -gcflags "all=-N -l", a debugger's), and it serves the
# built frontend as the shipped app does.
# make test's frontend-build step has just built frontend/dist. When a frontend source is newer
# (this script run alone after an edit) the frontend is built into a folder of this run instead,
# so that frontend/dist, which make test's Go steps embed, is not rebuilt under them; the app
# serves the folder given as assetdir.
assets=$root/frontend/dist
if [ ! -f frontend/dist/index.html ] || [ -n "$(find frontend/src frontend/public frontend/wailsjs frontend/index.html \
  frontend/vite.config.mts frontend/package.json frontend/package-lock.json -newer frontend/dist/index.html -print -quit)" ]; then
  assets=$bin/dist
  (cd frontend && node_modules/.bin/vite build --outDir "$assets" --emptyOutDir) >"$out/frontend-build.log" 2>&1 || {
    echo "e2e: the frontend build failed:" >&2; tail -n 40 "$out/frontend-build.log" >&2; exit 1; }
fi
start=$(date +%s)
CGO_ENABLED=1 CGO_CFLAGS=${CGO_CFLAGS:-} CGO_CXXFLAGS="${CGO_CXXFLAGS:+$CGO_CXXFLAGS }-I$root/build" \
  go build -tags "dev,${WAILS_TAGS:-webkit2_41}" -o "$bin/idpsync-e2e" . >"$out/build.log" 2>&1 || {
  echo "e2e: the app did not build:" >&2; tail -n 40 "$out/build.log" >&2; exit 1; }
built=$(( $(date +%s) - start ))
# Demo mode (the admin screens' scenarios): the real backend on loopback emulators, starting
# with no directory, and a slower emulated Atlassian so that progress and cancel can be seen.
# devserver, assetdir, loglevel: what `wails dev` tells a dev build (the dev server's address, the
# frontend's folder on disk, Warning).
IDPSYNC_DEMO=${IDPSYNC_DEMO-1} IDPSYNC_DEMO_SETUP=${IDPSYNC_DEMO_SETUP-0} IDPSYNC_DEMO_LATENCY=${IDPSYNC_DEMO_LATENCY-60ms} \
IDPSYNC_HOME=$home devserver="localhost:$port" assetdir="$assets" loglevel=Warning "$bin/idpsync-e2e" >"$out/app.log" 2>&1 &
wpid=$!

stop_app() {
  if kill -0 "$wpid" 2>/dev/null; then
    kill -TERM "$wpid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$wpid" 2>/dev/null || true
  fi
  wait "$wpid" 2>/dev/null || true
  rm -rf "$home" "$bin"
}
trap stop_app EXIT

# The app serves its page once the backend is up (the store opened); 60 s for a loaded machine.
start=$(date +%s)
ready=0
while [ $(( $(date +%s) - start )) -lt "${E2E_START_TIMEOUT:-60}" ]; do
  if curl -fs -o /dev/null "$url"; then ready=1; break; fi
  kill -0 "$wpid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "e2e: the app did not serve $url; last lines of its log:" >&2
  tail -n 40 "$out/app.log" >&2
  exit 1
fi
echo "e2e: app built in ${built}s, ready in $(( $(date +%s) - start ))s at $url"

rc=0
(cd frontend && E2E_URL=$url E2E_OUT=$out E2E_DATADIR=$home node e2e/run.mjs "$@") || rc=$?
if [ "$rc" != 0 ]; then
  echo "e2e: app log: $out/app.log" >&2
fi
exit "$rc"
