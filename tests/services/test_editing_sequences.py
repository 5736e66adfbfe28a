"""Random sequences of edits on the sample region never leave a draft that fails the check.

Each example starts a fresh draft of the imported sample region (data/boundaries/shouning_aoyang.geojson, in
a SQLite store) and applies a few operations through `gridmap.services.editing`: shared grid vertices moved a
few metres, grids split by straight lines across them, adjacent grids of one community merged. An edit may be
refused (422); then the draft must be exactly as it was.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo.editing.model import EditOperation, Merge, MoveVertex, Split
from gridmap.geo.hierarchy import Level
from gridmap.services.boundaries import import_boundaries
from gridmap.services.check import check_boundaries
from gridmap.services.editing import EditRejected, apply_edit, start_draft
from gridmap.store import open_store
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import Feature
from tests.editing_support import SAMPLE

METRES_PER_DEGREE = 111_320.0


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BoundaryStore, str]]:
    """A SQLite store holding the sample region as version 1, and the set's name."""
    folder = tmp_path_factory.mktemp("sequences")
    with open_store(f"sqlite:///{folder / 'gridmap.db'}", upgrade=True) as store:
        imported = import_boundaries(store, [SAMPLE], who="测试", why="sample region")
        yield store, imported.version.set_name


def stored(store: BoundaryStore, version_id: int) -> set[tuple[str, int, str, bytes]]:
    """Everything stored of a version's features."""
    return {
        (f.feature_id, f.revision, repr(sorted(f.properties().items())), f.geometry.wkb)
        for f in store.features(version_id).features
    }


def _shared_vertices(grids: list[Feature]) -> list[tuple[float, float]]:
    """Vertices that at least two grids hold (sorted, so that a drawn index means the same vertex)."""
    counts = Counter((x, y) for g in grids for x, y in {tuple(v) for v in shapely.get_coordinates(g.geometry).tolist()})
    return sorted(v for v, n in counts.items() if n >= 2)


def _move(grids: list[Feature], data: st.DataObject) -> EditOperation:
    vertices = _shared_vertices(grids)
    x, y = vertices[data.draw(st.integers(0, len(vertices) - 1), label="vertex")]
    dx_m, dy_m = data.draw(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), label="move (m)")
    to = (x + dx_m / (METRES_PER_DEGREE * math.cos(math.radians(y))), y + dy_m / METRES_PER_DEGREE)
    return MoveVertex(at=(x, y), to=to)


def _split(grids: list[Feature], data: st.DataObject) -> EditOperation:
    grid = grids[data.draw(st.integers(0, len(grids) - 1), label="grid")]
    angle = data.draw(st.floats(0, math.pi), label="angle")
    centre = grid.geometry.representative_point()
    min_x, min_y, max_x, max_y = grid.geometry.bounds
    reach = 2 * max(max_x - min_x, max_y - min_y)
    dx, dy = reach * math.cos(angle), reach * math.sin(angle)
    line = shapely.LineString([(centre.x - dx, centre.y - dy), (centre.x + dx, centre.y + dy)])
    return Split(feature=grid.feature_id, line=line)


def _merge(grids: list[Feature], data: st.DataObject) -> EditOperation | None:
    pairs = [
        (a, b)
        for i, a in enumerate(grids)
        for b in grids[i + 1 :]
        if a.parent == b.parent and a.geometry.boundary.intersection(b.geometry.boundary).length > 0
    ]
    if not pairs:
        return None
    kept, absorbed = pairs[data.draw(st.integers(0, len(pairs) - 1), label="pair")]
    return Merge(kept=kept.feature_id, absorbed=absorbed.feature_id)


@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_random_edit_sequences_never_break_the_coverage(
    sample_store: tuple[BoundaryStore, str], data: st.DataObject
) -> None:
    store, set_name = sample_store
    draft = start_draft(store, set_name, from_version=1, who="测试", why="property").version.id
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        grids = store.features(draft, level=Level.GRID).features
        kind = data.draw(st.sampled_from([_move, _split, _merge]), label="operation")
        op = kind(grids, data)
        if op is None:
            continue
        before = stored(store, draft)
        try:
            apply_edit(store, draft, op, who="测试", why="property", expected={})
        except EditRejected:
            assert stored(store, draft) == before
            continue
        report = check_boundaries(store.version_frame(draft))
        assert report.ok, (op, [p.message for p in report.problems if p.severity.value == "error"])
