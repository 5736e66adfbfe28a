"""Import, validate, publish, diff and export, through the services and the real check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridmap.errors import NotFound
from gridmap.services.boundaries import (
    DEFAULT_SET,
    diff_versions,
    export_version,
    import_boundaries,
    publish_version,
    published_version,
    validate_version,
)
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import CheckFailed, VersionStatus
from tests.boundary_builders import cell, write_collection
from tests.store.conftest import grid_code, region_features

REPO = Path(__file__).resolve().parents[2]


def overlapping_region(folder: Path) -> Path:
    """The test region with grid 1 reaching into grid 2."""
    features = region_features()
    for f in features:
        if f["properties"]["code"] == grid_code(1):
            f["geometry"] = json.loads(json.dumps(cell(0, 1, 1.3, 1).__geo_interface__))
    return write_collection(folder / "overlap.geojson", features)


def test_import_validate_publish(store: BoundaryStore, region_file: Path) -> None:
    result = import_boundaries(store, [region_file], who="张发敏", why="survey")

    assert result.version.status is VersionStatus.DRAFT
    assert (result.version.set_name, result.version.feature_count) == (DEFAULT_SET, 13)
    assert result.read_problems == []
    assert validate_version(store, result.version.id).ok
    published = publish_version(store, result.version.id, who="planner", why="approved")
    assert published_version(store) == published


def test_publish_refuses_overlaps_with_the_check_report(
    store: BoundaryStore, region_file: Path, tmp_path: Path
) -> None:
    good = import_boundaries(store, [region_file], who="a", why="good").version
    publish_version(store, good.id, who="a", why="good")
    bad = import_boundaries(store, [overlapping_region(tmp_path)], who="a", why="bad").version

    with pytest.raises(CheckFailed) as refusal:
        publish_version(store, bad.id, who="a", why="bad")

    report = refusal.value.report
    assert report["ok"] is False
    assert "overlap" in {p["kind"] for p in report["problems"]}
    assert "overlap" in refusal.value.detail
    assert published_version(store).id == good.id
    assert not validate_version(store, bad.id).ok


def test_diff_between_imports(store: BoundaryStore, region_file: Path, tmp_path: Path) -> None:
    first = import_boundaries(store, [region_file], who="a", why="1").version
    second = import_boundaries(store, [overlapping_region(tmp_path)], who="a", why="2").version

    diff = diff_versions(store, first.id, second.id)

    assert [r.code for r in diff.reshaped] == [grid_code(1)]
    assert diff.reshaped[0].area_change_m2 > 0
    assert not (diff.added or diff.removed or diff.changed)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_export_then_import_changes_nothing(store: BoundaryStore, region_file: Path, tmp_path: Path, fmt: str) -> None:
    first = import_boundaries(store, [region_file], who="a", why="1").version

    written = export_version(store, first.id, tmp_path / "out" / f"export.{fmt}", fmt)
    again = import_boundaries(store, [written], who="a", why="round trip").version

    assert written.is_file()
    assert diff_versions(store, first.id, again.id).empty


def test_published_version_needs_one(store: BoundaryStore, region_file: Path) -> None:
    with pytest.raises(NotFound, match="no boundary set named 'default'"):
        published_version(store)
    import_boundaries(store, [region_file], who="a", why="draft only")
    with pytest.raises(NotFound, match="no published version"):
        published_version(store)
