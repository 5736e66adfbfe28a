#!/usr/bin/env bash
# Set up everything and run the main job: the map server on the sample region (embedded SQLite store).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if .venv/bin/gridmap serve --help >/dev/null 2>&1; then
  exec .venv/bin/gridmap serve "$@"
fi
# Until the server lands: check the sample region and write its map.
.venv/bin/gridmap check data/boundaries/ --html out/check.html
echo "Open out/check.html in a browser."
