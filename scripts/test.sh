#!/usr/bin/env bash
# Set up everything (incl. PostGIS and Chromium) and run the whole test suite, then lint and type checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy gridmap
.venv/bin/python -m pytest "$@"
