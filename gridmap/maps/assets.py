"""Leaflet and its plugins, installed from npm into web/node_modules at set-up and never fetched from a CDN."""

from __future__ import annotations

import os
from pathlib import Path

from gridmap.errors import NotFound

REPO_ROOT = Path(__file__).resolve().parents[2]


def web_dir() -> Path:
    """The folder holding the static pages and node_modules (GRIDMAP_WEB_DIR overrides)."""
    return Path(os.environ.get("GRIDMAP_WEB_DIR", REPO_ROOT / "web"))


def node_module_file(relative: str) -> Path:
    """A file under web/node_modules, with a hint to run set-up when npm has not installed it."""
    path = web_dir() / "node_modules" / relative
    if not path.is_file():
        msg = f"{path} is missing: run `scripts/setup.sh` (it runs `npm ci` in web/) to install Leaflet"
        raise NotFound(msg)
    return path
