# Sourced by window-smoke.sh and window-demo.sh (inside in_session --display): the start both
# real-window tests share.
#   window_start LABEL BINARY OUTDIR [VAR=value...]
# starts BINARY with the variables given and a fresh IDPSYNC_HOME (removed, and the app stopped,
# on exit), its output in OUTDIR/app.log, and waits up to 30 s (120 polls of 0.25 s) for its
# window titled "IdP Sync". It sets bin, out, home, app and wid; fail MESSAGE prints LABEL: FAILED
# with the app log's last 20 lines and exits 1.

window_start() {
  label=$1
  bin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
  out=$3
  shift 3
  mkdir -p "$out"
  home=$(mktemp -d -t "idpsync-${label// /-}-home-XXXXXX")
  env "$@" IDPSYNC_HOME="$home" "$bin" >"$out/app.log" 2>&1 &
  app=$!
  trap window_cleanup EXIT
  wid=""
  for _ in $(seq 1 120); do
    wid=$(xdotool search --onlyvisible --name '^IdP Sync$' 2>/dev/null | head -n 1 || true)
    [ -n "$wid" ] && break
    kill -0 "$app" 2>/dev/null || fail "the app exited before showing a window"
    sleep 0.25
  done
  [ -n "$wid" ] || fail "no window titled 'IdP Sync' within 30 s"
}

window_cleanup() {
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  rm -rf "$home"
}

fail() {
  echo "$label: FAILED: $*" >&2
  sed 's/^/  app: /' "$out/app.log" | tail -n 20 >&2
  exit 1
}
