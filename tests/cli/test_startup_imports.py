"""The command starts without the dependencies of commands it does not run (gridmap.cli.lazy), and every command
is still reachable: its module is imported when it runs or shows its help."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import GridmapCommands, app
from gridmap.cli.lazy import module_commands
from gridmap.io.boundaries import read_boundaries, write_boundaries
from tests.boundary_builders import community_of_grids, write_collection

# What other commands need: the store, the life-circle networks and optimiser, maps, the server.
OTHER_COMMANDS = {"scipy", "sqlalchemy", "geoalchemy2", "alembic", "folium", "networkx", "osmium", "fastapi", "uvicorn"}
# frames: `gridmap check` reads GeoJSON and plain GeoPackages without them (and pyogrio, which imports both)
FILES = {"geopandas", "pandas", "pyogrio"}
# The database stack: no command's help opens a database (gridmap.store imports it when one is opened).
DATABASE = {"sqlalchemy", "geoalchemy2", "alembic", "psycopg"}
# What a help needs no more than its options: PROJ (a CRS is built when one is converted), typer's pydantic
# coercion (run on the values of a command that runs) and rich's markdown help renderer (helps are plain text).
HELP_ONLY = {"pyproj", "pydantic", "markdown_it"}
# What only some runs of `gridmap check` need: typer's pydantic coercion (values not plainly valid, see
# gridmap.cli.plain_values), the repair (`gridmap fix`), point files (--households), allowed exceptions (--allow),
# GeoPackages (sqlite3), zip archives, forked workers (large files with --jobs), rich's tables (a report listing
# problems) and its spinner (stderr on a terminal).
SOME_CHECKS = {
    "pydantic",
    "gridmap.services.repair",
    "gridmap.io.points",
    "gridmap.io.allowed_exceptions",
    "sqlite3",
    "zipfile",
    "multiprocessing",
    "rich.table",
    "rich.progress",
}
IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", flags=re.M)


def imported_modules(*arguments: str) -> set[str]:
    """The modules a fresh interpreter imports to run `python -m gridmap ARGUMENTS` (stderr a pipe, no terminal)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gridmap", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return set(IMPORTED.findall(run.stderr))


def imported_by(*arguments: str) -> set[str]:
    """The top-level packages a fresh interpreter imports to run `python -m gridmap ARGUMENTS`."""
    return {name.split(".")[0] for name in imported_modules(*arguments)}


def test_importing_the_command_imports_no_command_dependencies() -> None:
    code = "import sys, gridmap.cli; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert "gridmap" in loaded
    assert loaded & (OTHER_COMMANDS | FILES) == set()


def test_help_imports_no_command_dependencies() -> None:
    loaded = imported_by("--help")
    assert "typer" in loaded  # the parse of -X importtime found the imports
    assert loaded & (OTHER_COMMANDS | FILES | HELP_ONLY | {"rich", "shapely"}) == set()


@pytest.mark.parametrize("name", ["check", "fix"])
def test_the_check_commands_help_imports_neither_proj_nor_frames_nor_coercion(name: str) -> None:
    loaded = imported_by(name, "--help")
    assert "shapely" in loaded  # the command's module was imported to list its options
    assert loaded & (OTHER_COMMANDS | FILES | HELP_ONLY) == set()


@pytest.mark.parametrize("name", [c[0] for c in GridmapCommands.lazy_commands])
def test_no_commands_help_imports_the_database_stack(name: str) -> None:
    loaded = imported_by(name, "--help")
    assert "gridmap" in loaded
    assert loaded & DATABASE == set()


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_check_imports_neither_frames_nor_the_store_nor_the_map_nor_networks(tmp_path: Path, suffix: str) -> None:
    source = write_collection(tmp_path / "grids.geojson", community_of_grids())
    if suffix == ".gpkg":  # in a projected CRS, so that the check reprojects it
        frame = read_boundaries([source]).frame.drop(columns=["source", "feature"]).to_crs("EPSG:4549")
        source = write_boundaries(frame, tmp_path / "grids.gpkg", "gpkg")
    loaded = imported_by("check", str(source))
    assert "shapely" in loaded
    assert loaded & (OTHER_COMMANDS | FILES) == set()
    assert ("pyproj" in loaded) == (suffix == ".gpkg")  # WGS-84 GeoJSON is read and checked without PROJ


def test_a_clean_check_imports_only_what_every_check_needs(tmp_path: Path) -> None:
    source = write_collection(tmp_path / "grids.geojson", community_of_grids())
    loaded = imported_modules("check", str(source))
    assert "gridmap.services.check" in loaded
    assert loaded & SOME_CHECKS == set()


@pytest.mark.parametrize(
    ("name", "module", "summary"), GridmapCommands.lazy_commands, ids=[c[0] for c in GridmapCommands.lazy_commands]
)
def test_every_command_shows_its_help_with_the_listed_summary(name: str, module: str, summary: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"gridmap {name}" in result.output
    real = module_commands(module).commands[name]
    first_paragraph = (real.help or "").split("\n\n")[0]
    assert " ".join(first_paragraph.split()) == summary  # the table in gridmap/cli/__init__.py is up to date


def test_the_table_lists_every_command_of_every_module() -> None:
    listed = {(name, module) for name, module, _ in GridmapCommands.lazy_commands}
    declared = {(name, module) for _, module in listed for name in module_commands(module).commands}
    assert declared == listed
    assert len({name for name, _ in listed}) == len(listed)
