# Sourced by the scripts here. in_session re-runs the calling script inside a private D-Bus
# session (dbus-run-session, never dbus-x11's autolaunch, which leaves stray daemons behind),
# with a fresh gnome-keyring unlocked by a known password, and with --display inside an Xvfb
# display. Nothing is read from or left in the developer's desktop session or keyring, and a
# keyring call can never block on an unlock prompt.
#   in_session [--display|--keep-display] "$0" "$@"   (returns in the inner run; the outer exits)
# --display starts a new Xvfb; --keep-display uses the caller's DISPLAY (make demo under xvfb-run);
# neither hides the display, so a locked keyring fails at once instead of waiting for a prompt.

unlock_keyring() {
  # Creates $XDG_DATA_HOME/keyrings/login.keyring with this password and unlocks it; go-keyring
  # then reaches it through D-Bus activation of org.freedesktop.secrets.
  printf %s idpsync-session | gnome-keyring-daemon --unlock --components=secrets >/dev/null
}

in_session() {
  local display=none
  case "${1:-}" in
    --display) display=new; shift ;;
    --keep-display) display=keep; shift ;;
  esac
  if [ -n "${IDPSYNC_IN_SESSION:-}" ]; then
    unlock_keyring
    return 0
  fi
  local dir rc=0
  dir=$(mktemp -d -t idpsync-session-XXXXXX)
  mkdir -p "$dir/data" "$dir/run"
  chmod 700 "$dir/run"
  local wrap=(env -u DISPLAY -u WAYLAND_DISPLAY)
  case "$display" in
    new) wrap=(xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp") ;;
    keep) wrap=(env) ;;
  esac
  IDPSYNC_IN_SESSION=1 XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run" \
    dbus-run-session -- "${wrap[@]}" "$@" || rc=$?
  stop_session_daemons "$dir/run"
  rm -rf "$dir"
  exit "$rc"
}

# A gnome-keyring-daemon that had not yet joined the bus when the session ended does not see
# it go, and lingers. Stop exactly the ones started for this session: those whose environment
# names this session's runtime dir.
stop_session_daemons() {
  local run=$1 pid
  for pid in $(pgrep -x gnome-keyring-d 2>/dev/null; pgrep -f '^gnome-keyring-daemon' 2>/dev/null); do
    if tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "XDG_RUNTIME_DIR=$run"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
