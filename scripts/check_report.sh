#!/usr/bin/env bash
# check_report.sh - renders an HTML report offline with headless Chromium and
# saves a full-page screenshot, to look at the charts by eye.
#
#   scripts/check_report.sh FILE.html OUT.png [WIDTH] [HEIGHT]
#
# Needs Debian's chromium (apt-get install chromium); not part of CI. The
# network is disabled for the page so a report that is not self-contained
# shows it (missing styles or images).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 FILE.html OUT.png [WIDTH] [HEIGHT]" >&2
  exit 2
fi
html=$1 out=$2 width=${3:-1400} height=${4:-4000}
[ -f "$html" ] || { echo "$0: no such file: $html" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "$0: chromium not found (apt-get install chromium)" >&2; exit 1; }
abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --proxy-server='127.0.0.1:9' --proxy-bypass-list='<-loopback>' \
  --screenshot="$out" --window-size="$width,$height" "file://$abs" 2>/dev/null
[ -s "$out" ] || { echo "$0: no screenshot written" >&2; exit 1; }
echo "$out"
