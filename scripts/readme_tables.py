"""Rewrite the README's generated tables (settings, errors) from the code: run after adding a setting or an error.

.venv/bin/python scripts/readme_tables.py
"""

from __future__ import annotations

import re
from pathlib import Path

import gridmap.api.app
import gridmap.cli  # noqa: F401
from gridmap.errors import error_table
from gridmap.settings import settings_reference

README = Path(__file__).resolve().parents[1] / "README.md"
TABLES = {"settings": settings_reference, "errors": error_table}


def block(marker: str) -> re.Pattern[str]:
    """The README block between `<!-- MARKER: start -->` and `<!-- MARKER: end -->`."""
    return re.compile(rf"(<!-- {marker}: start -->\n)(.*?)(\n<!-- {marker}: end -->)", flags=re.S)


def main() -> None:
    """Replace each generated block with what the code says now."""
    text = README.read_text(encoding="utf-8")
    for marker, table in TABLES.items():
        text = block(marker).sub(lambda found, table=table: found.group(1) + table() + found.group(3), text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
