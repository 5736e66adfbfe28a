#!/usr/bin/env bash
# Set up everything and run the main job: the map server on the demo (the sample region in an embedded SQLite
# store, loaded the first time). With GRIDMAP_DATABASE_URL set, the server runs on that store as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -z "${GRIDMAP_DATABASE_URL:-}" ]; then
  .venv/bin/gridmap demo load --store sqlite:///gridmap.db --data data --if-empty
fi
exec .venv/bin/gridmap serve "$@"
