"""gridmap.incidents stays storage-free: no web framework, database or store imports."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "geoalchemy2", "psycopg", "gridmap.store", "gridmap.api")
INCIDENTS = Path(__file__).resolve().parents[2] / "gridmap" / "incidents"


def test_incidents_import_no_web_or_database() -> None:
    offenders: set[str] = set()
    sources = list(INCIDENTS.glob("*.py"))
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders.update(f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN))
    assert not offenders
    assert len(sources) >= 9
