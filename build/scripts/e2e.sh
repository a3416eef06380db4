#!/usr/bin/env bash
# End-to-end test: the app under `wails dev` (real Go backend, Vite dev server) in an Xvfb
# display, driven in Debian's Chromium by frontend/e2e/run.mjs.
# Usage: build/scripts/e2e.sh [scenario ...]
# Env: WAILS (the CLI; default build/.tools/bin/wails), E2E_OUT (artifacts; default a temp dir),
#      WAILS_TAGS (default webkit2_41).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/build/scripts/session.sh"
in_session --display "$0" "$@"

wails=${WAILS:-$root/build/.tools/bin/wails}
out=${E2E_OUT:-$(mktemp -d -t idpsync-e2e-XXXXXX)}
mkdir -p "$out"
home=$(mktemp -d -t idpsync-e2e-home-XXXXXX)
# Not 34115: a developer's own `wails dev` may hold it.
port=$(free_port)
url="http://localhost:$port/"

cd "$root"
# -m: never tidy go.mod; -nosyncgomod: never rewrite it; -s: `make` already installed and built
# the frontend (dev serves it from Vite anyway); -skipbindings: `make bindings` made them;
# -nogorebuild -noreload: a test must not restart the app or reload the page when a file
# changes under it (an editor, another checkout's build).
# -compiler go-nodebug: reuse the build cache instead of wails dev's debugger-only flags (see
# that script). Started directly (not in a subshell) so that SIGINT reaches wails dev itself,
# which then stops Vite and the app.
# Demo mode (the admin screens' scenarios): the real backend on loopback emulators, starting
# with no directory, and a slower emulated Atlassian so that progress and cancel can be seen.
IDPSYNC_DEMO=${IDPSYNC_DEMO-1} IDPSYNC_DEMO_SETUP=${IDPSYNC_DEMO_SETUP-0} IDPSYNC_DEMO_LATENCY=${IDPSYNC_DEMO_LATENCY-60ms} \
IDPSYNC_HOME=$home "$wails" dev -m -nosyncgomod -nocolour -s -skipbindings -nogorebuild -noreload -compiler "$root/build/scripts/go-nodebug" \
  -tags "${WAILS_TAGS:-webkit2_41}" -devserver "localhost:$port" -loglevel Warning \
  >"$out/wails-dev.log" 2>&1 &
wpid=$!

stop_dev() {
  if kill -0 "$wpid" 2>/dev/null; then
    kill -INT "$wpid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.25; done
    kill -TERM "$wpid" 2>/dev/null || true
  fi
  wait "$wpid" 2>/dev/null || true
  rm -rf "$home"
}
trap stop_dev EXIT

# wails dev prints its URL even when the app fails to start, so ask the server itself. The
# first run on a machine compiles the app and its dependencies: allow for a cold build cache.
start=$(date +%s)
ready=0
while [ $(( $(date +%s) - start )) -lt "${E2E_START_TIMEOUT:-1200}" ]; do
  if curl -fs -o /dev/null "$url"; then ready=1; break; fi
  kill -0 "$wpid" 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  echo "e2e: wails dev did not serve $url; last lines of its log:" >&2
  tail -n 40 "$out/wails-dev.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
  exit 1
fi
echo "e2e: wails dev ready in $(( $(date +%s) - start ))s at $url"

rc=0
(cd frontend && E2E_URL=$url E2E_OUT=$out E2E_DATADIR=$home node e2e/run.mjs "$@") || rc=$?
if [ "$rc" != 0 ]; then
  echo "e2e: wails dev log: $out/wails-dev.log" >&2
fi
exit "$rc"
