#!/usr/bin/env bash
# Runs a command in a private D-Bus session with a fresh unlocked gnome-keyring (see
# session.sh); with --display, also inside Xvfb. `make test` runs `go test` through it so the
# keychain tests talk to a real Secret Service.
# Usage: build/scripts/with-session.sh [--display|--keep-display] COMMAND [ARG...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/session.sh"
if [ -z "${IDPSYNC_IN_SESSION:-}" ]; then
  case "${1:-}" in
    --display | --keep-display) in_session "$1" "$0" "$@" ;;
    *) in_session "$0" "$@" ;;
  esac
fi
unlock_keyring
case "${1:-}" in --display | --keep-display) shift ;; esac
exec "$@"
