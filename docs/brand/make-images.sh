#!/usr/bin/env bash
# Renders the favicon (ICO, from favicon.svg) and the social preview image (1200x630 PNG, from
# social.html) with headless Chromium. Run from the repository root after changing either source.
set -euo pipefail
assets=crates/commune-server/assets
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
shot() { # url width height out
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars \
    --window-size="$2,$3" --screenshot="$4" "$1" 2>/dev/null >/dev/null
}
shot "file://$PWD/$assets/favicon.svg" 32 32 "$profile/32.png"
shot "file://$PWD/docs/brand/social.html" 1200 630 "$assets/social.png"
# An ICO file holding one PNG image (valid since Windows Vista; every browser reads it).
python3 - "$profile/32.png" "$assets/favicon.ico" <<'PY'
import struct, sys
png = open(sys.argv[1], "rb").read()
header = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 32, 32, 0, 0, 1, 32, len(png), 22)
open(sys.argv[2], "wb").write(header + png)
PY
echo "wrote $assets/favicon.ico and $assets/social.png"
