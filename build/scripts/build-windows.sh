#!/usr/bin/env bash
# Cross-builds build/bin/idpsync.exe (Wails needs no cgo on Windows) and, when makensis is
# installed, the NSIS installer. Expects the frontend to be built already.
# Env: WAILS, LDFLAGS.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
wails=${WAILS:-$root/build/.tools/bin/wails}
extra=()
if command -v makensis >/dev/null 2>&1; then extra+=(-nsis); fi
"$wails" build -m -nosyncgomod -nocolour -s -skipbindings -platform windows/amd64 \
  -ldflags "${LDFLAGS:-}" ${extra[@]+"${extra[@]}"}
exe=build/bin/idpsync.exe
[ -f "$exe" ] || { echo "build-windows: $exe was not produced" >&2; exit 1; }
[ "$(head -c 2 "$exe")" = MZ ] || { echo "build-windows: $exe is not a Windows executable" >&2; exit 1; }
echo "build-windows: $exe ($(du -h "$exe" | cut -f1), Windows PE)"
for f in build/bin/*installer*.exe; do
  [ -e "$f" ] && echo "build-windows: installer $f"
done
exit 0
