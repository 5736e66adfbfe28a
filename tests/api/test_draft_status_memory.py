"""A large draft's status after edits, undo and redo, with the app's memory of the last status (only the families
around what changed since are checked again), is the status found from scratch; on both backends.

The region is a lattice of 6 x 6 communities of four grids (each of two microgrids), imported as a set of its own
and counted as a large draft here (LARGE_DRAFT_FEATURES lowered), so that the status checks the changed area.
"""

# ruff: noqa: F811 (a test takes test_edits' `planner` fixture, imported below, as an argument)
from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from gridmap.geo.editing.model import EditOperation, Merge, MoveVertex, Split
from gridmap.geo.hierarchy import Level
from gridmap.geo.problems import Problem, ProblemKind
from gridmap.services import boundaries as boundary_service
from gridmap.services import changed_area, draft_status, editing, remembered_impact
from gridmap.services.allowed_exceptions import check_options_for_set
from gridmap.services.check import CheckOptions, check_boundaries
from gridmap.store.edit_store import EditRecord, EditRequest, StagedFeature
from gridmap.store.household_store import HouseholdRecord
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import Feature, VersionComparison
from tests.api.conftest import TestClient
from tests.api.region import TOWN, write_region
from tests.api.test_edits import planner, store_of  # noqa: F401 (planner is a fixture)
from tests.api.test_incident_map import stored_incident
from tests.boundary_builders import cell

SET = "lattice"
SIDE = 6
METRES_PER_DEGREE = 111_320.0
COMPARED = ("scope", "report", "diff", "geometry_after", "geometry_before", "households", "grid_counts", "incidents")


def lattice_features() -> list[dict[str, Any]]:
    """SIDE x SIDE communities of 2 x 2 grids, each grid split into a west and an east microgrid."""
    features = []
    for number in range(SIDE * SIDE):
        col0, row0 = 2 * (number % SIDE), 2 * (number // SIDE)
        community = f"{TOWN}{number + 1:03d}"
        features.append(_feature(community, "community", "", cell(col0, row0, 2, 2)))
        for grid_number, (col, row) in enumerate(((0, 1), (1, 1), (0, 0), (1, 0)), start=1):
            grid = f"{community}{grid_number:03d}"
            features.append(_feature(grid, "grid", community, cell(col0 + col, row0 + row)))
            for half in (0, 1):
                where = cell(col0 + col + half / 2, row0 + row, 0.5, 1)
                features.append(_feature(f"{grid}{half + 1:02d}", "microgrid", grid, where))
    return features


def _feature(code: str, level: str, parent: str, geometry: shapely.Polygon) -> dict[str, Any]:
    properties = {"code": code, "name": f"第{code[-3:]}", "level": level, "parent": parent}
    return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geometry)}


@pytest.fixture
def sample_draft(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[BoundaryStore, int]]:
    """The store and a draft of the published lattice (a large draft here), with households all over it and open
    incidents in three of its grids."""
    monkeypatch.setattr(draft_status, "LARGE_DRAFT_FEATURES", 50)
    store = store_of(client)
    region = write_region(tmp_path / "lattice.geojson", lattice_features())
    imported = boundary_service.import_boundaries(store, [region], set_name=SET, who="测试", why="lattice")
    boundary_service.publish_version(store, imported.version.id, who="测试", why="lattice")
    frame = store.version_frame(imported.version.id)
    west, south, east, north = (float(v) for v in frame.total_bounds)
    rng = np.random.default_rng(5)
    points = zip(rng.uniform(west, east, 3_000), rng.uniform(south, north, 3_000), strict=True)
    store.add_households([HouseholdRecord(f"S{i}", "某街1号", x, y, people=1) for i, (x, y) in enumerate(points)])
    grids = frame[frame["level"] == Level.GRID.value].reset_index(drop=True)
    for number, row in enumerate(grids.iloc[:3].itertuples(), start=1):
        where = row.geometry.representative_point()
        stored_incident(client, number, (where.x, where.y), str(row.code))
    draft = editing.start_draft(store, SET, who="测试", why="status memory")
    yield store, draft.version.id


def grids(store: BoundaryStore, draft: int) -> list[Feature]:
    return sorted(store.features(draft, level=Level.GRID).features, key=lambda f: f.code)


def shared_vertex_move(store: BoundaryStore, draft: int, community: int) -> tuple[EditOperation, list[Feature]]:
    """A vertex two grids of the `community`-th community share (not on its border), moved 2 m north-east."""
    family = [g for g in grids(store, draft) if g.parent == sorted({g.parent for g in grids(store, draft)})[community]]
    outline = shapely.union_all([g.geometry for g in family]).boundary
    counts = Counter(
        (x, y) for g in family for x, y in {tuple(v) for v in shapely.get_coordinates(g.geometry).tolist()}
    )
    x, y = min(v for v, n in counts.items() if n >= 2 and outline.distance(shapely.Point(v)) > 1e-7)
    step = 2.0 / METRES_PER_DEGREE
    return MoveVertex(at=(x, y), to=(x + step / math.cos(math.radians(y)), y + step)), family


def split_of(grid: Feature) -> tuple[EditOperation, list[Feature]]:
    """The grid cut north-south through its inside point."""
    centre = grid.geometry.representative_point()
    south, north = grid.geometry.bounds[1] - 0.01, grid.geometry.bounds[3] + 0.01
    line = shapely.intersection(shapely.LineString([(centre.x, south), (centre.x, north)]), grid.geometry)
    return Split(feature=grid.feature_id, line=line), [grid]


def merge_in(store: BoundaryStore, draft: int, community: int) -> tuple[EditOperation, list[Feature]]:
    """Two neighbouring grids of the `community`-th community merged."""
    everything = grids(store, draft)
    family = [g for g in everything if g.parent == sorted({g.parent for g in everything})[community]]
    first, second = next(
        (a, b)
        for i, a in enumerate(family)
        for b in family[i + 1 :]
        if a.geometry.boundary.intersection(b.geometry.boundary).length > 0
    )
    return Merge(kept=first.feature_id, absorbed=second.feature_id), [first, second]


def apply(store: BoundaryStore, draft: int, drawn: tuple[EditOperation, list[Feature]]) -> None:
    op, based_on = drawn
    expected = {f.feature_id: f.revision for f in based_on}
    editing.apply_edit(store, draft, op, who="测试", why="status memory", expected=expected)


def grown_into_neighbour(store: BoundaryStore, draft: int, community: int) -> None:
    """A grid of the `community`-th community grown 30 m into its neighbour, stored as an edit (the store does not
    check: an overlap now)."""
    first, second = merge_in(store, draft, community)[1]
    grown = shapely.buffer(first.geometry, 30.0 / METRES_PER_DEGREE, join_style="mitre").intersection(
        shapely.union_all([first.geometry, second.geometry])
    )
    store.apply_changes(
        draft,
        written=[StagedFeature(first.feature_id, replace(first, geometry=grown))],
        deleted=[],
        expected={first.feature_id: first.revision},
        request=EditRequest(op="reshape_border", params={}, who="测试", why="an overlap"),
    )


def checked_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many features each check of a changed area (whole or in part) is given to report on, as statuses run:
    those whose parents it checks against their children (the neighbours read beside them are given too, but
    only their part in the problems of those features is reported)."""
    sizes: list[int] = []
    check = changed_area.check_boundaries

    def counted(frame: Any, options: CheckOptions) -> Any:
        sizes.append(len(frame) if options.nesting_parents is None else len(options.nesting_parents))
        return check(frame, options)

    monkeypatch.setattr(changed_area, "check_boundaries", counted)
    return sizes


def assert_same_as_from_scratch(store: BoundaryStore, draft: int, memory: draft_status.StatusMemory) -> Any:
    """The status with the memory, after asserting it is the one found without it."""
    status = draft_status.draft_status(store, draft, memory=memory)
    scratch = draft_status.draft_status(store, draft)
    for name in COMPARED:
        assert getattr(status, name) == getattr(scratch, name), name
    return status


def test_a_status_kept_in_memory_is_the_status_from_scratch_after_edits_undo_and_redo(
    sample_draft: tuple[BoundaryStore, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, draft = sample_draft
    memory = draft_status.StatusMemory()
    steps: list[Callable[[], None]] = [
        lambda: apply(store, draft, shared_vertex_move(store, draft, 0)),  # the south-west corner
        lambda: apply(store, draft, shared_vertex_move(store, draft, 35)),  # the north-east corner
        lambda: apply(store, draft, split_of(grids(store, draft)[14 * 4])),  # in the middle
        lambda: apply(store, draft, merge_in(store, draft, 21)),  # next to it (corner to corner)
        lambda: editing.undo(store, draft, who="测试"),
        lambda: editing.undo(store, draft, who="测试"),
        lambda: editing.redo(store, draft, who="测试"),
        lambda: apply(store, draft, shared_vertex_move(store, draft, 14)),
        lambda: editing.undo(store, draft, who="测试"),
    ]
    first = assert_same_as_from_scratch(store, draft, memory)  # nothing changed yet: an empty area
    assert first.scope is draft_status.CheckScope.CHANGED_AREA and first.report.features == 0
    sizes = checked_sizes(monkeypatch)
    statuses = []
    for step in steps:
        step()
        sizes.clear()
        statuses.append((assert_same_as_from_scratch(store, draft, memory), list(sizes)))

    # Once the changed area spanned the lattice, the statuses checked only the families around what changed since
    # and two rings of neighbours (the spy sees the memory's check, then the from-scratch one; on this small
    # lattice the rings often reach the whole area); every one of them is the from-scratch status.
    partial = [(status.report.features, found) for status, found in statuses[2:] if len(found) == 2]
    assert len(partial) == len(statuses) - 2 and all(found[0] <= features == found[1] for features, found in partial)
    assert sum(found[0] < features for features, found in partial) >= 3
    assert statuses[3][0].report.features > statuses[5][0].report.features == statuses[1][0].report.features
    assert any(status.households.moved for status, _ in statuses) and any(
        status.diff.reshaped for status, _ in statuses
    )


def written(store: BoundaryStore, draft: int, features: list[Feature], deleted: list[Feature]) -> EditRecord:
    """The features stored as one edit (a feature the draft lacks is created), the `deleted` deleted."""
    current = {f.feature_id: f.revision for f in store.features(draft).features}
    return store.apply_changes(
        draft,
        written=[StagedFeature(f.feature_id, f) for f in features],
        deleted=[f.feature_id for f in deleted],
        expected={f.feature_id: current[f.feature_id] for f in [*features, *deleted] if f.feature_id in current},
        request=EditRequest(op="attributes", params={}, who="测试", why="status memory"),
    ).record


def test_a_remembered_status_compares_again_only_the_features_written_since(
    sample_draft: tuple[BoundaryStore, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, draft = sample_draft
    apply(store, draft, shared_vertex_move(store, draft, 0))
    memory = draft_status.StatusMemory()
    assert_same_as_from_scratch(store, draft, memory)  # the first: the memory holds no comparison yet
    compared: list[set[str] | None] = []  # per comparison asked: the features compared again (None: every one)
    compare, recompare = store.compare, store.recompare

    def compare_spied(from_version: int, to_version: int) -> VersionComparison:
        compared.append(None)
        return compare(from_version, to_version)

    def recompare_spied(earlier: VersionComparison, feature_ids: Collection[str]) -> VersionComparison:
        compared.append(set(feature_ids))
        return recompare(earlier, feature_ids)

    monkeypatch.setattr(store, "compare", compare_spied)
    monkeypatch.setattr(store, "recompare", recompare_spied)
    grid = grids(store, draft)[9]
    microgrid = store.features(draft, parents=[grid.code]).features[0]
    recreated = replace(microgrid, feature_id=str(uuid.uuid4()), code=f"{microgrid.code[:-2]}09", name="新")
    steps: list[Callable[[], EditRecord]] = [
        lambda: written(store, draft, [replace(grid, name="改名", households_target=40)], []),  # attributes alone
        lambda: written(store, draft, [], [microgrid]),  # a hole in the grid now
        lambda: written(store, draft, [recreated], []),  # filled by a new feature
        lambda: (
            editing.apply_edit(
                store, draft, *split_of(grids(store, draft)[20])[:1], who="测试", why="x", expected={}
            ).record
        ),
        lambda: store.undo(draft).record,
        lambda: store.undo(draft).record,
        lambda: store.redo(draft).record,
        lambda: written(store, draft, [replace(grids(store, draft)[9], worker="王")], []),
        lambda: store.undo(draft).record,
    ]
    statuses = []
    for step in steps:
        record = step()
        compared.clear()
        statuses.append(assert_same_as_from_scratch(store, draft, memory))
        # The memory's status compared only what the step wrote, created or deleted; the one from scratch all.
        assert compared == [set(record.feature_ids), None]

    assert [c.changes for c in statuses[0].diff.changed if c.code == grid.code] == [
        {"name": (grid.name, "改名"), "households_target": (grid.households_target, 40)}
    ]
    assert [f.code for f in statuses[1].diff.removed] == [microgrid.code]
    assert recreated.code in {f.code for f in statuses[2].diff.added}
    # Undone, the split and the new feature leave the diffs before them (at new revisions, alike: not named).
    assert statuses[4].diff == statuses[2].diff and statuses[5].diff == statuses[1].diff
    assert [f.revision for f in statuses[6].diff.added if f.code == recreated.code] == [2]


def test_a_status_after_more_edits_shows_a_new_problem_and_drops_a_fixed_one(
    sample_draft: tuple[BoundaryStore, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, draft = sample_draft
    memory = draft_status.StatusMemory()
    apply(store, draft, shared_vertex_move(store, draft, 0))
    apply(store, draft, shared_vertex_move(store, draft, 35))
    clean = assert_same_as_from_scratch(store, draft, memory)
    assert not [p for p in clean.report.problems if p.kind is ProblemKind.OVERLAP]
    sizes = checked_sizes(monkeypatch)

    grown_into_neighbour(store, draft, 14)
    overlapping = assert_same_as_from_scratch(store, draft, memory)
    editing.undo(store, draft, who="测试")
    fixed = assert_same_as_from_scratch(store, draft, memory)

    overlaps = [p for p in overlapping.report.problems if p.kind is ProblemKind.OVERLAP]
    assert len(overlaps) >= 1 and overlaps[0].area_m2 is not None and overlaps[0].area_m2 > 1_000
    assert not [p for p in fixed.report.problems if p.kind is ProblemKind.OVERLAP]
    assert overlapping.report.features > clean.report.features == fixed.report.features
    # Both after the first were found from the memory, checking only the families around the change.
    assert sizes[0] < overlapping.report.features and sizes[2] < fixed.report.features


def test_the_draft_status_route_remembers_the_last_status_of_a_large_draft(
    client: TestClient, planner: dict[str, str], sample_draft: tuple[BoundaryStore, int]
) -> None:
    store, draft = sample_draft
    apply(store, draft, shared_vertex_move(store, draft, 0))
    memory: draft_status.StatusMemory = client.app.state.draft_statuses  # type: ignore[attr-defined]
    info = store.draft_info(draft)

    response = client.get(f"/api/v1/boundary-sets/{SET}/versions/{draft}/draft-status", headers=planner)

    assert response.status_code == 200, response.text
    assert response.json()["check"]["scope"] == "changed_area"
    held = memory.last((draft, info.version.created_at, info.based_on))
    assert held is not None and held.area.report.features == response.json()["check"]["summary"]["features"]


ENCLOSED = 14  # the community in the lattice's third column and row, which the edits below surround
GAP_M = 30.0


def community_cells(number: int) -> tuple[int, int]:
    """The south-west cell of the `number`-th community (0-based)."""
    return 2 * (number % SIDE), 2 * (number // SIDE)


def grid_at(store: BoundaryStore, draft: int, col: int, row: int) -> Feature:
    """The draft's grid holding the centre of the lattice's cell (`col`, `row`)."""
    centre = cell(col, row).centroid
    return next(g for g in grids(store, draft) if g.geometry.contains(centre))


def split_around(store: BoundaryStore, draft: int, community: int) -> None:
    """In each of the eight communities around the `community`-th, the grid farthest from it split: the changed
    area then surrounds that community without reaching it."""
    col0, row0 = community_cells(community)
    for d_col, d_row in ((-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)):
        col = col0 + 2 * d_col + (1 if d_col > 0 else 0)
        row = row0 + 2 * d_row + (1 if d_row > 0 else 0)
        apply(store, draft, split_of(grid_at(store, draft, col, row)))


def south_side_pulled_back(store: BoundaryStore, draft: int, community: int, metres: float) -> None:
    """The community south of the `community`-th, with its features along their shared side, cut back `metres`
    from that side, stored as one edit (a gap between the two communities now)."""
    col0, row0 = community_cells(community)
    south = store.version_frame(draft, boxes=np.array([cell(col0, row0 - 2, 2, 2).buffer(-1e-6).bounds]))
    kept = shapely.box(-180.0, -90.0, 180.0, float(cell(col0, row0).bounds[1]) - metres / METRES_PER_DEGREE)
    features = store.features(draft, codes=set(south["code"])).features
    cut = [f for f in features if not f.geometry.within(kept)]
    store.apply_changes(
        draft,
        written=[StagedFeature(f.feature_id, replace(f, geometry=f.geometry.intersection(kept))) for f in cut],
        deleted=[],
        expected={f.feature_id: f.revision for f in cut},
        request=EditRequest(op="reshape_border", params={}, who="测试", why="a gap"),
    )


def community_code(number: int) -> str:
    return f"{TOWN}{number + 1:03d}"


def area_codes(store: BoundaryStore, draft: int) -> set[str]:
    """The codes of the draft's changed area: the families near what it changed since it was started."""
    based_on = store.draft_info(draft).based_on
    assert based_on is not None
    changed = changed_area.changed_geometries(store.compare(based_on, draft))
    return set(changed_area.area_frame(store, draft, changed_area.widened(changed))["code"])


def assert_surrounded(store: BoundaryStore, draft: int, community: int) -> None:
    """The changed area holds the eight communities around the `community`-th, and not that one."""
    around = {community + d_row * SIDE + d_col for d_row in (-1, 0, 1) for d_col in (-1, 0, 1)} - {community}
    area = area_codes(store, draft)
    assert {community_code(n) for n in around} <= area and community_code(community) not in area


def whole_draft_problems(store: BoundaryStore, draft: int) -> list[tuple[str, str | None, tuple[str, ...], float]]:
    """The problems a check of the whole draft finds (kind, level, codes, area rounded to m2), in order."""
    options = check_options_for_set(store=store, set_name=SET, options=None)
    return listed(check_boundaries(store.version_frame(draft), options).problems)


def listed(problems: list[Problem]) -> list[tuple[str, str | None, tuple[str, ...], float]]:
    """The problems as (kind, level, codes, area rounded to m2), in order: areas differ in their last digits as
    the check's metres are centred on the draft or on its changed area."""
    return sorted((p.kind.value, p.level, p.codes, round(p.area_m2 or 0.0)) for p in problems)


def test_a_community_the_changed_area_surrounds_is_no_gap(
    sample_draft: tuple[BoundaryStore, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, draft = sample_draft
    memory = draft_status.StatusMemory()
    split_around(store, draft, ENCLOSED)
    status = assert_same_as_from_scratch(store, draft, memory)
    sizes = checked_sizes(monkeypatch)
    col, row = community_cells(ENCLOSED - SIDE - 1)  # the community south-west of the enclosed one
    apply(store, draft, split_of(grid_at(store, draft, col + 1, row)))  # its south-east grid, away from it
    again = assert_same_as_from_scratch(store, draft, memory)

    assert_surrounded(store, draft, ENCLOSED)
    assert listed(status.report.problems) == listed(again.report.problems) == whole_draft_problems(store, draft)
    assert not [p for p in again.report.problems if p.kind is ProblemKind.GAP]
    # The status with the memory checked only the families around the last edit, once (the spy sees it, then the
    # from-scratch check): a gap where the enclosed community lies would have made it check the whole area again.
    assert len(sizes) == 2 and sizes[0] < again.report.features == sizes[1]


def test_a_gap_an_edit_opens_beside_a_surrounded_community_is_reported_as_a_whole_draft_check_finds_it(
    sample_draft: tuple[BoundaryStore, int],
) -> None:
    store, draft = sample_draft
    memory = draft_status.StatusMemory()
    split_around(store, draft, ENCLOSED)
    assert_same_as_from_scratch(store, draft, memory)
    south_side_pulled_back(store, draft, ENCLOSED, GAP_M)

    status = assert_same_as_from_scratch(store, draft, memory)

    assert_surrounded(store, draft, ENCLOSED)
    whole = whole_draft_problems(store, draft)
    gaps = [p for p in status.report.problems if p.kind is ProblemKind.GAP]
    assert listed(status.report.problems) == whole
    assert len(gaps) == 1 and gaps[0].level == Level.COMMUNITY.value
    assert gaps[0].area_m2 == pytest.approx(2 * 200 * GAP_M, rel=0.1)  # the strip, not the community with it


def test_a_draft_changed_over_most_of_it_is_checked_whole_with_the_report_of_its_changed_area(
    sample_draft: tuple[BoundaryStore, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, draft = sample_draft
    memory = draft_status.StatusMemory()
    for community in (7, 10, 25):  # the centre of each moved: these and the communities around, 27 of 36
        apply(store, draft, shared_vertex_move(store, draft, community))
    frames: list[int] = []
    check = changed_area.check_boundaries

    def counted(frame: Any, options: CheckOptions) -> Any:
        frames.append(len(frame))
        return check(frame, options)

    monkeypatch.setattr(changed_area, "check_boundaries", counted)
    whole = assert_same_as_from_scratch(store, draft, memory)
    monkeypatch.setattr(changed_area, "WHOLE_DRAFT_SHARE", 1.0)  # never the whole draft: the area read in pieces
    area = draft_status.draft_status(store, draft)

    size = store.draft_info(draft).version.feature_count
    assert frames == [size, size, frames[2]] and frames[2] < size
    assert whole.scope is area.scope is draft_status.CheckScope.CHANGED_AREA
    assert whole.report == area.report and whole.report.features == 27 * 13 < size
    # Brought up to date after one more edit, the remembered whole check is still the status from scratch.
    monkeypatch.setattr(changed_area, "WHOLE_DRAFT_SHARE", 0.5)
    apply(store, draft, shared_vertex_move(store, draft, 35))
    frames.clear()
    later = assert_same_as_from_scratch(store, draft, memory)
    assert frames[0] < size and later.report.features == 31 * 13


def test_households_spread_over_a_version_get_the_codes_their_boxes_give_from_one_read_of_it(
    sample_draft: tuple[BoundaryStore, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, draft = sample_draft
    located = store.household_locations()
    cluster = located.lon < np.quantile(located.lon, 0.05)
    by_boxes = remembered_impact.codes_at(store, draft, located.lon, located.lat)
    monkeypatch.setattr(remembered_impact, "_MANY_POINTS", 1)
    whole_reads: list[int] = []
    version_frame = store.version_frame

    def counted(version_id: int, **chosen: Any) -> Any:
        if not chosen:
            whole_reads.append(version_id)
        return version_frame(version_id, **chosen)

    monkeypatch.setattr(store, "version_frame", counted)

    from_whole = remembered_impact.codes_at(store, draft, located.lon, located.lat)
    assert whole_reads == [draft]
    for level in by_boxes:
        assert from_whole[level].tolist() == by_boxes[level].tolist()
        assert sum(code is not None for code in from_whole[level]) > 2_000
    remembered_impact.codes_at(store, draft, located.lon[cluster], located.lat[cluster])
    assert whole_reads == [draft]  # a cluster of them is looked up by their boxes
