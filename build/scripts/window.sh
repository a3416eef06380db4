# Sourced by window-smoke.sh and window-demo.sh (inside in_session --display): the start both
# real-window tests share.
#   window_start LABEL BINARY OUTDIR [VAR=value...]
# starts BINARY with the variables given and a fresh IDPSYNC_HOME (removed, and the app stopped,
# on exit), its output in OUTDIR/app.log, and waits up to 30 s (120 polls of 0.25 s) for its
# window titled "IdP Sync". It sets bin, out, home, app and wid; fail MESSAGE prints LABEL: FAILED
# with the app log's last 20 lines and exits 1.
#   shot_until FILE SECONDS CHECK [ARG...]
# captures the window into FILE every 0.25 s until `CHECK FILE ARG...` succeeds, for up to SECONDS
# (returns 1 then); drawn_at FILE X Y and light_button_at FILE X Y are such checks.

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

shot_until() {
  local file=$1 secs=$2 end
  shift 2
  end=$(( $(date +%s) + secs ))
  while :; do
    if import -window "$wid" "$file" 2>/dev/null && [ -s "$file" ] && "$1" "$file" "${@:2}"; then return 0; fi
    [ "$(date +%s)" -lt "$end" ] || return 1
    kill -0 "$app" 2>/dev/null || fail "the app exited"
    sleep 0.25
  done
}

# drawn_at FILE X Y: text is drawn in the 160x24 box around X,Y: at least 64 colours (a line of
# anti-aliased text has 150 or more; a blank or a flat block of colour has a few).
drawn_at() {
  [ "$(convert "$1" -crop "160x24+$(( $2 - 80 ))+$(( $3 - 12 ))" +repage -format '%k' info: 2>/dev/null || echo 0)" -ge 64 ]
}

# light_button_at FILE X Y: a light button with its label in the 120x24 box around X,Y (text, and
# a mean brightness of 0.85 or more: "Preview changes" measured 0.93; the blue "Add identity
# provider" that the list draws at the same place 0.78).
light_button_at() {
  local box="120x24+$(( $2 - 60 ))+$(( $3 - 12 ))" stats
  stats=$(convert "$1" -crop "$box" +repage -format '%k %[fx:mean>=0.85]' info: 2>/dev/null || echo '0 0')
  [ "${stats% *}" -ge 64 ] && [ "${stats#* }" = 1 ]
}
