#!/usr/bin/env bash
# Runs every test `make test` promises and keeps going after a failure, so one run shows
# everything that is broken. Prints each runner's own summary lines as its step ends, then a
# table of steps; exits non-zero if any step failed. Expects `make deps` to have run.
# Env: WAILS, TAGS, LDFLAGS (from the Makefile); ARTIFACTS (default: a new temp dir).
#
# Two lanes run side by side after a short common start, because on a 2-core machine the Go
# tests leave a core mostly idle while their slowest package runs alone, and the frontend and
# screen steps are mostly Node, Chromium and the display waiting:
#   start: bindings, frontend-build (everything after them reads their output; nothing writes
#          frontend/dist afterwards, so no Go compile, which embeds it, sees it half written)
#   go:    go-vet, vet-windows, vet-darwin, go-test
#   ui:    bindings-drift, frontend-typecheck, frontend-lint, frontend-unit, e2e, build-linux,
#          window-smoke, window-demo, build-windows
# Each step keeps its own log, result and time; the table lists them in this order.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
wails=${WAILS:-$root/build/.tools/bin/wails}
tags=${TAGS:-webkit2_41}
ldflags=${LDFLAGS:-}
artifacts=${ARTIFACTS:-$(mktemp -d -t idpsync-test-XXXXXX)}
mkdir -p "$artifacts"
state=$(mktemp -d -t idpsync-test-state-XXXXXX)
trap 'rm -rf "$state"' EXIT
strip_ansi() { sed -u 's/\x1b\[[0-9;]*[A-Za-z]//g'; }
started=$(date +%s)

# step NAME SUMMARY-FILTER COMMAND...: runs COMMAND with its output in $artifacts/NAME.log, then
# prints, in one piece so that the lanes' output does not interleave, the lines matching
# SUMMARY-FILTER (the runner's own summary) and the log's tail on failure; records "rc seconds".
step() {
  local name=$1 filter=$2; shift 2
  local log="$artifacts/$name.log" start rc=0 out lines
  start=$(date +%s)
  "$@" >"$log" 2>&1 </dev/null || rc=$?
  out="==> $name ($(( $(date +%s) - start )) s, at $(( $(date +%s) - started )) s)"
  lines=$(strip_ansi <"$log" | grep -E -- "$filter")
  [ -z "$lines" ] || out+=$'\n'$lines
  if [ "$rc" != 0 ]; then
    out+=$'\n'"--- $name failed (exit $rc); last lines of $log:"$'\n'$(strip_ansi <"$log" | tail -n 40)
  fi
  { flock 9; printf '%s\n' "$out"; } 9>"$state/.print"
  echo "$rc $(( $(date +%s) - start ))" >"$state/$name"
}

start_steps() {
  step bindings 'Generating|error' env WAILS="$wails" TAGS="$tags" build/scripts/bindings.sh
  # vite alone: frontend-typecheck runs the tsc that `npm run build` would run first.
  step frontend-build 'built in|error' bash -c 'cd frontend && exec node_modules/.bin/vite build'
}

go_lane() {
  step go-vet '^(#|vet:)' go vet ./...
  # The shipped targets: the Windows binary (Wails needs no cgo there) and, for macOS, everything
  # under internal/ (the app/ and main packages need cgo on macOS, which this machine can't cross).
  step vet-windows '^(#|vet:)' env GOOS=windows GOARCH=amd64 go vet ./...
  step vet-darwin '^(#|vet:)' env GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go vet ./internal/...
  # Inside a private D-Bus session with an unlocked gnome-keyring, for the keychain tests. A plain
  # `go test ./...` skips the Secret Service and Chromium tests where those are missing
  # (internal/testenv); here every such skip is a failure.
  # GORACE atexit_sleep_ms=0: the race runtime otherwise sleeps 1 s at the exit of every
  # instrumented process (ThreadSanitizer's default, a grace period for other threads' reports):
  # ~30 test binaries plus ~70 `idpsync` children of internal/cli's tests, measured 1.0 s each
  # (`directory list` 1.1 s → 0.3 s; internal/cli 82 s → 54 s). A race is still reported when it
  # happens and still fails the binary; only the idle second after the tests is gone.
  # The longest packages first: go test starts the packages two at a time (-p, the cores) in the
  # order given (go list keeps a package's first mention), and in ./...'s alphabetical order
  # internal/reliability, the longest (~130 s), started among the last and ran alone at the end.
  # Longest first is the shortest schedule for two slots; the rest follow as ./... lists them.
  step go-test '^(ok|FAIL|---|panic:)|no test files' env IDPSYNC_TEST_REQUIRE_ALL=1 GORACE="${GORACE:+$GORACE }atexit_sleep_ms=0" \
    build/scripts/with-session.sh go test -race -count=1 ./internal/reliability ./internal/cli ./internal/entra ./internal/backend \
    ./internal/report ./internal/atlassian ./internal/engine ./...
}

ui_lane() {
  # Binding drift fails: the committed .d.ts/models.ts are what tsc checks the screens against, so
  # a Go change that isn't regenerated would let tsc pass on a stale contract. File modes are
  # ignored: the CLI writes the runtime files 0644 or 0755 depending on the run.
  step bindings-drift '^(frontend/|error)' bash -c 'if ! git -c core.fileMode=false diff --quiet -- frontend/wailsjs; then
  git -c core.fileMode=false diff --stat -- frontend/wailsjs
  echo "error: the generated bindings under frontend/wailsjs differ from the committed ones: run make bindings and commit them"
  exit 1; fi'
  step frontend-typecheck 'error' npm --prefix frontend run --silent typecheck
  step frontend-lint 'problem|error' npm --prefix frontend run --silent lint
  step frontend-unit 'Test Files|Tests |FAIL' npm --prefix frontend run --silent test
  step e2e '^e2e:|^  (ok|FAIL) ' env WAILS_TAGS="$tags" E2E_OUT="$artifacts/e2e" build/scripts/e2e.sh
  step build-linux "Built '|ERROR|error" "$wails" build -m -nosyncgomod -nocolour -s -skipbindings -tags "$tags" -ldflags "$ldflags"
  step window-smoke '^window smoke:' build/scripts/window-smoke.sh build/bin/idpsync "$artifacts/window"
  step window-demo '^window demo:' build/scripts/window-demo.sh build/bin/idpsync "$artifacts/window-demo"
  step build-windows '^build-windows:|ERROR' env WAILS="$wails" LDFLAGS="$ldflags" build/scripts/build-windows.sh
}

start_steps
go_lane &
go_pid=$!
ui_lane &
ui_pid=$!
wait "$go_pid" "$ui_pid"

echo
echo "Summary (logs and screenshots in $artifacts; $(( $(date +%s) - started )) s in all):"
failed=0
for name in bindings frontend-build go-vet vet-windows vet-darwin go-test bindings-drift frontend-typecheck frontend-lint \
  frontend-unit e2e build-linux window-smoke window-demo build-windows; do
  rc=1 secs=-
  [ -f "$state/$name" ] && read -r rc secs <"$state/$name"
  [ "$rc" = 0 ] || failed=1
  printf '  %-20s %-5s %s\n' "$name" "$([ "$rc" = 0 ] && echo ok || echo FAIL)" "${secs}s"
done
if [ "$failed" != 0 ]; then
  echo "make test: FAILED"
  exit 1
fi
echo "make test: all passed"
