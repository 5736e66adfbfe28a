#!/usr/bin/env bash
# Set up everything (incl. PostGIS and Chromium) and run the whole test suite, then lint and type checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy gridmap
.venv/bin/lint-imports --no-cache  # the layers: pyproject.toml [tool.importlinter]
# The pages' ES modules (web/js): eslint, then node --test on their pure functions; local binaries, no network.
(cd web && node_modules/.bin/eslint .)
(cd web && node --test)
# One pytest worker per core, a test module's tests on one worker (its servers and browsers start once); the
# slowest 20 tests are listed at the end so that a regression shows.
.venv/bin/python -m pytest -n "${GRIDMAP_TEST_WORKERS:-auto}" --dist loadscope --durations=20 "$@"
