#!/usr/bin/env bash
# A PNG of a report page, as docs/ shows them, taken by Debian's headless chromium.
#   tests/html/screenshot.sh PAGE.html OUT.png [WIDTH [HEIGHT]]
# WIDTH defaults to 1200 px; without HEIGHT the whole page is taken (its rendered height, which
# the page records in #np-render-status). Pages are rendered offline, as a reader would see them.
set -euo pipefail
if (($# < 2 || $# > 4)); then
  echo "usage: $0 PAGE.html OUT.png [WIDTH [HEIGHT]]" >&2
  exit 2
fi
page="$(realpath "$1")"
out="$(realpath -m "$2")"
width="${3:-1200}"
height="${4:-}"
chromium="${NP_CHROMIUM:-$(command -v chromium || true)}"
if [[ -z "$chromium" ]]; then
  echo "screenshot.sh: chromium not found: install it with ./setup.sh (apt-get install chromium)" >&2
  exit 1
fi
[[ -f "$page" ]] || { echo "screenshot.sh: no page '$1'" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run() {
  HOME="$work" timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$work/profile" \
    --virtual-time-budget=20000 "$@" "file://$page"
}
if [[ -z "$height" ]]; then
  height="$(run --window-size="$width,1000" --dump-dom 2>/dev/null |
    sed -n 's/.*"page_height":\([0-9][0-9]*\).*/\1/p' | head -n 1)"
  if [[ -z "$height" ]]; then
    echo "screenshot.sh: the page did not record its height (not a neuralpower report?); pass HEIGHT" >&2
    exit 1
  fi
fi
run --window-size="$width,$height" --screenshot="$out" >/dev/null 2>&1
echo "screenshot.sh: $out (${width}x${height})"
