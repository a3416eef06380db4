# Sourced by the test scripts. Re-runs the calling script inside a private D-Bus session and,
# when asked, an Xvfb display, so nothing leaks into (or is read from) the developer's desktop.
# dbus-run-session instead of dbus-x11's autolaunch: it stops the bus and everything the bus
# started (gnome-keyring, the a11y bus) when the script ends.
#   in_session [--display] "$0" "$@"
in_session() {
  local display=0
  if [ "${1:-}" = --display ]; then display=1; shift; fi
  if [ -n "${IDPSYNC_IN_SESSION:-}" ]; then return 0; fi
  export IDPSYNC_IN_SESSION=1
  if [ "$display" = 1 ]; then
    exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$@"
  fi
  exec dbus-run-session -- "$@"
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
