#!/usr/bin/env bash
# Generates the Wails bindings (frontend/wailsjs) and puts the enums of each TypeScript namespace
# in name order. Wails v2.9.2 writes a package's enums (app.Enums: report has Kind, Status, Action
# and Result) in Go map order, so two runs on the same code differ and the bindings-drift step of
# test.sh fails at random (3 runs here gave 2 orders). Fixed upstream for packages with structs in
# wailsapp/wails#4664 (v2.11); until the module moves there, this sort makes the output one.
# Env: WAILS (the CLI; default build/.tools/bin/wails), TAGS (default webkit2_41).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
wails=${WAILS:-$root/build/.tools/bin/wails}
tags=${TAGS:-webkit2_41}
cd "$root"
"$wails" generate module -tags "$tags"
models=frontend/wailsjs/go/models.ts
# A run of consecutive "\texport enum Name {" … "\t}" blocks is printed again sorted by Name
# (insertion sort: mawk has no asort); every other line passes through unchanged.
awk '
function flush(   i, j, k, t) {
  for (i = 2; i <= n; i++) {
    t = name[i]; k = body[i]
    for (j = i - 1; j >= 1 && name[j] > t; j--) { name[j + 1] = name[j]; body[j + 1] = body[j] }
    name[j + 1] = t; body[j + 1] = k
  }
  for (i = 1; i <= n; i++) printf "%s", body[i]
  n = 0
}
inenum { body[n] = body[n] $0 "\n"; if ($0 == "\t}") inenum = 0; next }
/^\texport enum [A-Za-z0-9_]+ \{$/ { n++; name[n] = $3; body[n] = $0 "\n"; inenum = 1; next }
{ if (n) flush(); print }
END { if (n) flush() }
' "$models" >"$models.sorted"
# Written in place (not renamed over) so that the file keeps the mode Wails gave it.
cat "$models.sorted" >"$models" && rm -f "$models.sorted"
