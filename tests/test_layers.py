"""gridmap.geo stays pure: no web, database, file-format or map imports."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "geoalchemy2",
    "psycopg",
    "folium",
    "pyogrio",
    "httpx",
    "typer",
    "gridmap.store",
    "gridmap.api",
    "gridmap.services",
    "gridmap.io",
)
GEO = Path(__file__).resolve().parents[1] / "gridmap" / "geo"


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_geo_imports_no_web_or_database() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in GEO.glob("*.py")
        for module in imported_modules(path)
        if module.startswith(FORBIDDEN)
    }
    assert not offenders
    assert len(list(GEO.glob("*.py"))) >= 5
