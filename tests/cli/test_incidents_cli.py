"""`python -m gridmap_demo incidents generate` and `gridmap incidents import` on SQLite stores holding the sample
region."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import EXIT_CONFLICT
from gridmap.incidents.stats import CHINA_TIME
from gridmap.incidents.workflow import replay
from gridmap.services.demo import load_demo_region
from gridmap.store import open_store
from gridmap.store.incident_counts import cell_degrees
from gridmap.store.incident_store import IncidentCell, IncidentFilter
from gridmap.store.sql import SqlBoundaryStore
from gridmap_demo.cli import app as demo_app
from tests.api.conftest import copy_sqlite

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the sample region published and no incidents, made once for the module's tests to copy."""
    path = tmp_path_factory.mktemp("published") / "gridmap.db"
    with open_store(f"sqlite:///{path}", upgrade=True) as store:
        assert load_demo_region(store, REPO / "data").feature_count > 100
    return path


@pytest.fixture
def store_url(published_sample: Path, tmp_path: Path) -> str:
    """A SQLite store with the sample region published and no incidents, the test's alone."""
    copy_sqlite(published_sample, tmp_path / "gridmap.db")
    return f"sqlite:///{tmp_path / 'gridmap.db'}"


def run(*args: str | Path) -> tuple[int, str]:
    """Run the CLI (`python -m gridmap_demo` for `incidents generate`); (exit code, stdout + stderr)."""
    command = demo_app if args[:2] == ("incidents", "generate") else app
    result = runner.invoke(command, [str(a) for a in args])
    return result.exit_code, result.output


def test_generate_stores_incidents_in_the_period_and_refuses_taken_ids(store_url: str) -> None:
    args = ("incidents", "generate", "--count", "120", "--store", store_url, "--start", "2026-12-01")
    code, output = run(*args, "--end", "2026-12-07", "--seed", "5")
    assert code == 0, output
    assert "120 incidents from 2026-12-01 to 2026-12-07 stored" in " ".join(output.split())
    with open_store(store_url) as store:
        stored = list(store.iter_incidents(IncidentFilter()))
    assert len(stored) == 120
    days = {i.state.reported_at.astimezone(CHINA_TIME).date().isoformat() for i in stored}
    assert min(days) >= "2026-12-01" and max(days) <= "2026-12-07"
    assert all(replay(list(i.audit)) == i.state for i in stored)
    code, output = run(*args, "--end", "2026-12-07")
    assert code == EXIT_CONFLICT and "an incident 'sample-000001' exists already; nothing was imported" in output
    code, output = run(*args, "--end", "2026-12-07", "--id-prefix", "more-")
    assert code == 0, output
    with open_store(store_url) as store:
        assert store.list_incidents(IncidentFilter(), limit=1).matched == 240


def test_generate_explains_bad_input(store_url: str, tmp_path: Path) -> None:
    code, output = run("incidents", "generate", "--count", "5", "--store", store_url, "--start", "1 Dec")
    assert code == 2 and "YYYY-MM-DD" in output
    code, output = run("incidents", "generate", "--count", "5", "--store", store_url, "--end", "2026-08-01")
    assert code == 2 and "before --start" in output
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    code, output = run("incidents", "generate", "--count", "5", "--store", empty)
    assert code == 2 and "no boundary set named 'default'" in output


def test_import_reads_the_sample_file(store_url: str) -> None:
    code, output = run("incidents", "import", REPO / "data/sample/incidents.geojson", "--store", store_url)
    assert code == 0, output
    with open_store(store_url) as store:
        assert store.list_incidents(IncidentFilter(), limit=1).matched == 2000
        assert store.get_incident("sample-000001").audit[0].note.startswith("channel ")
    code, output = run("incidents", "import", REPO / "data/sample/incidents.geojson", "--store", store_url)
    assert code == EXIT_CONFLICT and "exists already" in output


def test_rebuild_counts_restores_the_incident_map_counts(store_url: str) -> None:
    code, output = run("incidents", "import", REPO / "data/sample/incidents.geojson", "--store", store_url)
    assert code == 0, output
    whole_region = IncidentFilter()
    with open_store(store_url) as store:
        cells = _rounded(store.incident_cells(whole_region, cell_degrees(14)))
        assert sum(count for _, _, count, _, _ in cells) == 2000
        assert isinstance(store, SqlBoundaryStore)
        with store.engine.begin() as connection:
            connection.execute(text("DELETE FROM incident_cell_counts"))
        assert store.incident_cells(whole_region, cell_degrees(14)) == []
    code, output = run("incidents", "rebuild-counts", "--store", store_url)
    assert code == 0, output
    assert "incident map counts rebuilt in" in output and "count rows" in output
    with open_store(store_url) as store:
        assert _rounded(store.incident_cells(whole_region, cell_degrees(14))) == cells


def _rounded(cells: list[IncidentCell]) -> list[tuple[int, int, int, float, float]]:
    """Cells with their mean points to 1 mm (sums added in another order differ in the last bits)."""
    return [(cell.x, cell.y, cell.count, round(cell.lon, 8), round(cell.lat, 8)) for cell in cells]


def test_help_teaches_with_examples() -> None:
    code, output = run("incidents", "generate", "--help")
    assert code == 0 and "python -m gridmap_demo incidents generate --count 3000" in output
    code, output = run("incidents", "--help")
    assert code == 0 and "generate" not in output  # the product's command line generates nothing
