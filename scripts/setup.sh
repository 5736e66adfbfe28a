#!/usr/bin/env bash
# Set up everything gridmap needs on a fresh Debian machine; safe to run again (it skips what is done).
#   scripts/setup.sh          Python venv with gridmap and its tools, Leaflet from npm
#   scripts/setup.sh --test   also PostGIS and Chromium (Debian packages) and a running PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=false
apt_install() {
  if ! $apt_updated; then say "apt-get update"; as_root apt-get update -q >/dev/null; apt_updated=true; fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "$@" >/dev/null
}

# 1. Python 3.11+ in .venv with gridmap installed (editable) and the dev tools.
python_bin=${PYTHON:-python3}
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "gridmap needs Python >= 3.11 (found: $("$python_bin" --version 2>&1))" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  if ! "$python_bin" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv
    "$python_bin" -m venv .venv
  fi
fi
# pip runs only when the venv lacks a requirement (scripts/venv_complete.py reads what is installed, in a
# fraction of a second): an edit elsewhere in pyproject.toml reinstalls nothing. The tests also run the Dask
# engine, so --test installs the `dask` extra too.
extras=dev
if $want_test; then extras=dev,dask; fi
if ! .venv/bin/python scripts/venv_complete.py "$extras" 2>/dev/null; then
  say "installing gridmap and its Python dependencies ($extras)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$extras]"
fi

# 2. Leaflet and its plugins from npm (served by the app; never a CDN), and eslint for scripts/test.sh.
if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  say "npm ci in web/"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi

# 3. For the tests: PostGIS, Chromium, and a running PostgreSQL.
if $want_test; then
  pg_version=15
  if [ ! -f "/usr/share/postgresql/$pg_version/extension/postgis.control" ]; then
    apt_install "postgresql-$pg_version-postgis-3"
  fi
  if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    say "starting PostgreSQL"
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install "postgresql-$pg_version"; fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
say "ready"
