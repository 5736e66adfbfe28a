"""The QGIS round trip from the command line: `gridmap draft export`, edit the GeoPackage elsewhere, `gridmap draft
import` (a dry run, --commit, conflicts with --theirs / --ours, unusable files), on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.cli.common import console
from gridmap.errors import EXIT_CONFLICT, EXIT_INPUT_ERROR, EXIT_PROBLEMS_FOUND
from gridmap.geo.editing.model import EditOutcome, FeatureChange, Merge, Split
from gridmap.geo.hierarchy import Level
from gridmap.services.editing import apply_edit, apply_outcome, start_draft, undo
from gridmap.store import BoundaryStore, open_store
from tests.boundary_builders import LAT0, LON0, STEP
from tests.qgis_edits import EAST, GRID, MOVED_LON, QGIS_LAYER, WEST, qgis_edit

runner = CliRunner()


@pytest.fixture
def store_url(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of a store holding the test region, published (tests/api/conftest.py), on each backend."""
    monkeypatch.setattr(console, "width", 240)  # rich tables keep 17-digit codes whole
    url: str = client.app.state.settings.database_url  # type: ignore[attr-defined]
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[BoundaryStore]:
    with open_store(store_url) as opened:
        yield opened


@pytest.fixture
def draft(store: BoundaryStore) -> int:
    """A draft of the published region."""
    return start_draft(store, "default", who="张发敏", why="grids redrawn in QGIS").version.id


def run(*args: str | Path | int) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def state(store: BoundaryStore, draft: int) -> dict[str, tuple[int, str, str | None, bytes]]:
    """Every feature of the draft by code: revision, name, worker and geometry (WKB)."""
    return {f.code: (f.revision, f.name, f.worker, shapely.to_wkb(f.geometry)) for f in store.features(draft).features}


def feature_id(store: BoundaryStore, draft: int, code: str) -> str:
    return store.features(draft, code=code).features[0].feature_id


def exported(store_url: str, draft: int, folder: Path, *extra: str) -> Path:
    out = folder / "draft.gpkg"
    code, output = run("draft", "export", draft, "--out", out, "--store", store_url, *extra)
    assert code == 0, output
    return out


def edit_properties(store: BoundaryStore, draft: int, values: dict[str, dict[str, object]]) -> None:
    """Another planner changes properties in the draft (code: {property: value}), as one edit."""
    features = {code: store.features(draft, code=code).features[0] for code in values}
    apply_outcome(
        store,
        draft,
        EditOutcome(changed=[FeatureChange(f.feature_id, properties=values[c]) for c, f in features.items()]),
        op_name="attributes",
        params={},
        who="李秀英",
        why="on site",
        expected={f.feature_id: f.revision for f in features.values()},
    )


def test_export_writes_one_layer_named_after_the_set_with_ids_and_revisions(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    out = exported(store_url, draft, tmp_path)
    assert [str(name) for name, _kind in pyogrio.list_layers(out)] == ["default"]
    frame = pyogrio.read_dataframe(out)
    assert list(frame.columns) == [
        "feature_id", "revision", "code", "name", "level", "parent", "worker", "households_target", "gm_base",
        "geometry",
    ]  # fmt: skip
    stored = {f.feature_id: f.revision for f in store.features(draft).features}
    assert dict(zip(frame["feature_id"], frame["revision"], strict=True)) == stored
    assert pyogrio.read_info(out)["crs"] == "EPSG:4326"


def test_a_dry_run_prints_the_changes_and_stores_nothing(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    edited = qgis_edit(exported(store_url, draft, tmp_path), tmp_path / "qgis.gpkg", names={GRID: "大同三网格"})
    before = state(store, draft)
    code, output = run("draft", "import", edited, "--into", draft, "--store", store_url)
    assert code == 0, output
    assert f"layer '{QGIS_LAYER}'" in output
    assert "2 reshaped" in output and WEST in output and EAST in output
    assert "1 with new properties" in output and "大同三网格" in output
    assert "passes" in output and "Nothing stored" in output
    assert state(store, draft) == before
    assert store.edits(draft) == []


def test_commit_stores_the_import_as_one_edit_and_bumps_the_revisions(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    edited = qgis_edit(exported(store_url, draft, tmp_path), tmp_path / "qgis.gpkg", names={GRID: "大同三网格"})
    before = state(store, draft)
    code, output = run("draft", "import", edited, "--into", draft, "--commit", "--store", store_url)
    assert code == 0, output
    after = state(store, draft)
    touched = {code for code in before if after[code] != before[code]}
    assert touched == {WEST, EAST, GRID}
    assert all(after[c][0] == before[c][0] + 1 for c in touched)
    assert after[GRID][1] == "大同三网格"
    west = shapely.from_wkb(after[WEST][3])
    assert west.bounds[2] == pytest.approx(MOVED_LON, abs=1e-12)  # the moved border, stored as a Polygon
    assert west.geom_type == "Polygon"
    assert [e.op for e in store.edits(draft)] == ["import"]
    # importing the same file again changes nothing, and is no conflict: the rows match the draft
    code, output = run("draft", "import", edited, "--into", draft, "--commit", "--store", store_url)
    assert code == 0, output
    assert "no changes" in output and len(store.edits(draft)) == 1


def test_a_projected_export_comes_back_unchanged(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    out = exported(store_url, draft, tmp_path, "--crs", "EPSG:4549")
    assert pyogrio.read_info(out)["crs"] == "EPSG:4549"
    assert pyogrio.read_dataframe(out).total_bounds[0] > 100_000  # metres, not degrees
    edit_properties(store, draft, {WEST: {"name": "西楼"}})  # the draft moves on; the file's base still matches
    code, output = run("draft", "import", out, "--into", draft, "--store", store_url)
    assert code == 0, output
    assert "EPSG:4549" in output and "no changes" in output and "conflicts" not in output


def test_edits_made_in_the_draft_since_the_export_are_conflicts(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    export = exported(store_url, draft, tmp_path)
    grid = store.features(draft, code=GRID).features[0]
    # another planner edits the grid in the draft after the export
    change = FeatureChange(grid.feature_id, properties={"worker": "陈美玲"})
    apply_outcome(
        store,
        draft,
        EditOutcome(changed=[change]),
        op_name="attributes",
        params={},
        who="李秀英",
        why="new worker",
        expected={grid.feature_id: grid.revision},
    )
    edited = qgis_edit(export, tmp_path / "qgis.gpkg", names={GRID: "大同三网格"})
    before = state(store, draft)

    code, output = run("draft", "import", edited, "--into", draft, "--commit", "--store", store_url)
    assert code == EXIT_CONFLICT, output
    assert "1 conflicts: unresolved" in output and GRID in output and "李秀英" in output
    conflict_row = next(line for line in output.splitlines() if GRID in line and "李秀英" in line)
    assert [cell.strip() for cell in conflict_row.split("│")[5:7]] == ["name", "worker"]  # what each side changed
    assert state(store, draft) == before

    code, output = run("draft", "import", edited, "--into", draft, "--ours", "--commit", "--store", store_url)
    assert code == 0, output
    after = state(store, draft)
    assert after[GRID] == before[GRID]  # the draft won: its worker stays, the file's name is skipped
    assert after[WEST] != before[WEST] and after[EAST] != before[EAST]

    code, output = run("draft", "import", edited, "--into", draft, "--theirs", "--commit", "--store", store_url)
    assert code == 0, output
    grid_now = store.features(draft, code=GRID).features[0]
    assert (grid_now.name, grid_now.worker) == ("大同三网格", grid.worker)  # the file's row won whole
    assert [e.op for e in store.edits(draft)] == ["attributes", "import", "import"]


def test_rows_the_file_leaves_as_exported_keep_the_draft_and_alike_changes_are_no_conflict(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    export = exported(store_url, draft, tmp_path)
    other_grid = f"{GRID[:-1]}1"
    # since the export the draft renamed the grid as the file does, and gave another grid a new worker
    edit_properties(store, draft, {GRID: {"name": "大同三网格"}, other_grid: {"worker": "陈美玲"}})
    edited = qgis_edit(export, tmp_path / "qgis.gpkg", names={GRID: "大同三网格"})
    before = state(store, draft)
    code, output = run("draft", "import", edited, "--into", draft, "--commit", "--store", store_url)
    assert code == 0, output
    assert "conflicts" not in output
    after = state(store, draft)
    assert {c for c in before if after[c] != before[c]} == {WEST, EAST}  # only what the file alone changed
    assert after[other_grid][2] == "陈美玲" and after[GRID][1] == "大同三网格"


def test_a_change_the_draft_undid_is_no_conflict(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    export = exported(store_url, draft, tmp_path)
    edit_properties(store, draft, {GRID: {"name": "东升网格"}})
    undo(store, draft, who="李秀英")  # the grid is as exported again, two revisions on
    edited = qgis_edit(export, tmp_path / "qgis.gpkg", move_border=False, names={GRID: "大同三网格"})
    code, output = run("draft", "import", edited, "--into", draft, "--commit", "--store", store_url)
    assert code == 0, output
    assert state(store, draft)[GRID][1] == "大同三网格"


def test_a_feature_merged_away_in_the_draft_stays_deleted_unless_the_file_changed_it(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    export = exported(store_url, draft, tmp_path)
    apply_edit(
        store,
        draft,
        Merge(kept=feature_id(store, draft, WEST), absorbed=feature_id(store, draft, EAST)),
        who="李秀英",
        why="one building block",
        expected={},
    )
    before = state(store, draft)
    untouched = qgis_edit(export, tmp_path / "untouched.gpkg", move_border=False)
    code, output = run("draft", "import", untouched, "--into", draft, "--commit", "--store", store_url)
    assert code == 0, output
    assert "no changes" in output and "stays deleted" in output
    assert state(store, draft) == before

    moved = qgis_edit(export, tmp_path / "moved.gpkg")
    code, output = run("draft", "import", moved, "--into", draft, "--store", store_url)
    assert code == EXIT_CONFLICT, output
    assert "2 conflicts: unresolved" in output
    east_row = next(line for line in output.splitlines() if EAST in line and "│" in line)
    assert [cell.strip() for cell in east_row.split("│")[4:7]] == ["deleted", "geometry", "deleted"]


def test_a_feature_the_file_adds_keeps_every_property(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    new_code = f"{GRID}03"
    drawn = {"feature_id": None, "revision": None, "code": new_code, "name": "新楼栋", "worker": "王芳"}
    edited = qgis_edit(
        exported(store_url, draft, tmp_path),
        tmp_path / "qgis.gpkg",
        move_border=False,
        values={EAST: {**drawn, "households_target": 120}},
    )
    code, output = run("draft", "import", edited, "--into", draft, "--delete-missing", "--commit", "--store", store_url)
    assert code == 0, output
    assert "1 added" in output and "1 removed" in output
    added = store.features(draft, code=new_code).features[0]
    assert (added.name, added.level, added.parent, added.worker, added.households_target) == (
        "新楼栋",
        Level.MICROGRID,
        GRID,
        "王芳",
        120,
    )
    out = exported(store_url, draft, tmp_path / "again")
    row = pyogrio.read_dataframe(out).set_index("code").loc[new_code]
    assert (row["worker"], row["households_target"]) == ("王芳", 120)  # and the export carries them on


def test_missing_features_are_kept_unless_asked_and_a_gap_is_refused(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    edited = qgis_edit(exported(store_url, draft, tmp_path), tmp_path / "qgis.gpkg", move_border=False, drop=EAST)
    before = state(store, draft)
    code, output = run("draft", "import", edited, "--into", draft, "--commit", "--store", store_url)
    assert code == 0, output
    assert "1 not in the file, kept" in output and EAST in output
    code, output = run("draft", "import", edited, "--into", draft, "--delete-missing", "--commit", "--store", store_url)
    assert code == EXIT_PROBLEMS_FOUND, output
    assert "1 removed" in output and "gap" in output and "nothing stored" in output
    assert state(store, draft) == before


def _merged_in_the_file(export: Path, out: Path, *, keep_bases: bool = True) -> Path:
    """`out`: the export with EAST deleted and WEST grown over it, a valid deletion made in another program
    (with every `gm_base` blanked unless `keep_bases`, as a program that drops unknown fields would)."""
    frame = pyogrio.read_dataframe(export)
    west = frame.index[frame["code"] == WEST][0]
    frame.loc[frame["code"] == WEST, "geometry"] = [shapely.union_all(frame.geometry[frame["code"].isin([WEST, EAST])])]
    frame = frame[frame["code"] != EAST].copy()
    assert west in frame.index
    if not keep_bases:
        frame["gm_base"] = None
    pyogrio.write_dataframe(frame, out, layer=QGIS_LAYER, driver="GPKG")
    return out


def _split_a_microgrid_in_the_draft(store: BoundaryStore, draft: int) -> str:
    """Another planner splits microgrid 35092410000100101 in the draft; the new microgrid's code."""
    split = Split(
        feature=feature_id(store, draft, f"{GRID[:-3]}00101"),
        line=shapely.LineString([(LON0, LAT0 + 1.5 * STEP), (LON0 + 0.5 * STEP, LAT0 + 1.5 * STEP)]),
    )
    result = apply_edit(store, draft, split, who="李秀英", why="two compounds", expected={})
    (created,) = [f for f in result.features if f.revision == 1]
    return created.code


def test_delete_missing_keeps_the_features_added_to_the_draft_after_the_export(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    export = exported(store_url, draft, tmp_path)
    added = _split_a_microgrid_in_the_draft(store, draft)  # after the export: not in the file
    edited = _merged_in_the_file(export, tmp_path / "qgis.gpkg")

    code, output = run("draft", "import", edited, "--into", draft, "--delete-missing", "--commit", "--store", store_url)

    assert code == 0, output
    assert "1 removed" in output and f"{added}: added to the draft after the export, not deleted" in output
    codes = {f.code for f in store.features(draft).features}
    assert EAST not in codes and {added, WEST} <= codes


def test_delete_missing_deletes_nothing_when_the_file_does_not_say_when_it_was_exported(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path
) -> None:
    edited = _merged_in_the_file(exported(store_url, draft, tmp_path), tmp_path / "qgis.gpkg", keep_bases=False)

    code, output = run("draft", "import", edited, "--into", draft, "--delete-missing", "--store", store_url)

    assert code == EXIT_PROBLEMS_FOUND, output  # the kept microgrid overlaps the one grown over it
    assert "does not say when it was exported" in output and "none deleted" in output
    assert "removed" not in output and "1 not in the file, kept" in output


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"this is no GeoPackage", "not a GeoPackage or GeoJSON"), (None, "no 'code' property")],
)
def test_an_unusable_file_is_refused_with_a_clear_message(
    store_url: str, store: BoundaryStore, draft: int, tmp_path: Path, content: bytes | None, message: str
) -> None:
    bad = tmp_path / "bad.gpkg"
    if content is None:  # a readable layer without the code field
        frame = pyogrio.read_dataframe(exported(store_url, draft, tmp_path)).drop(columns="code")
        pyogrio.write_dataframe(frame, bad, layer="grids")
    else:
        bad.write_bytes(content)
    before = state(store, draft)
    code, output = run("draft", "import", bad, "--into", draft, "--commit", "--store", store_url)
    assert code == EXIT_INPUT_ERROR, output
    assert message in " ".join(output.split()) and "Traceback" not in output
    assert state(store, draft) == before


def test_two_polygon_layers_need_a_layer_name(store_url: str, draft: int, tmp_path: Path) -> None:
    export = exported(store_url, draft, tmp_path)
    frame = pyogrio.read_dataframe(export)
    two = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(frame, two, layer="grids")
    outline = frame[frame["level"] == "community"].copy()
    outline["geometry"] = outline.geometry.translate(0, 10 * STEP)
    pyogrio.write_dataframe(outline, two, layer="outline", append=True)
    code, output = run("draft", "import", two, "--into", draft, "--store", store_url)
    assert code == EXIT_INPUT_ERROR and "--layer" in output
    code, output = run("draft", "import", two, "--into", draft, "--layer", "grids", "--store", store_url)
    assert code == 0, output
