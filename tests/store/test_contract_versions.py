"""The version store contract, run on SQLite and on PostGIS: sets, versions, imports, publishing and edits,
and publishing against the version the publisher saw.

The spatial half (filters, point lookup, diff, export) is in test_contract_spatial.py.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.geo.hierarchy import Level
from gridmap.store import rows
from gridmap.store.account_store import Role
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import CheckFailed, ExpectedPublished, PublishedMeanwhile, VersionStatus
from tests.boundary_builders import COMMUNITY, cell
from tests.store.conftest import Verdict, engine_of, grid_code, passing

OVERLAP = {"kind": "overlap", "severity": "error", "message": "grids 001 and 002 overlap", "codes": ["001", "002"]}


def test_import_creates_a_draft_recording_who_when_and_why(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="张发敏", why="2025 survey")

    assert version.status is VersionStatus.DRAFT
    assert (version.set_name, version.created_by, version.reason) == ("aoyang", "张发敏", "2025 survey")
    assert version.created_at.tzinfo is not None
    assert version.feature_count == 13
    assert store.get_version(version.id) == version
    assert store.get_set("aoyang").published_version is None
    assert store.published_version("aoyang") is None


def test_publish_retires_the_previous_version(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    first = store.import_version("aoyang", region, who="a", why="first")
    store.publish(first.id, who="planner", why="approved", check=passing)
    second = store.import_version("aoyang", region, who="a", why="second")

    published = store.publish(second.id, who="planner", why="replaces the first", check=passing)

    retired = store.get_version(first.id)
    assert published.status is VersionStatus.PUBLISHED
    assert (published.published_by, published.publish_reason) == ("planner", "replaces the first")
    assert retired.status is VersionStatus.RETIRED
    assert retired.retired_at == published.published_at
    assert store.published_version("aoyang") == published
    assert [v.status for v in store.list_versions("aoyang")] == [VersionStatus.RETIRED, VersionStatus.PUBLISHED]


def test_sets_publish_independently(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    a = store.import_version("a", region, who="x", why="y")
    b = store.import_version("b", region, who="x", why="y")
    store.publish(a.id, who="x", why="y", check=passing)
    store.publish(b.id, who="x", why="y", check=passing)

    assert [s.published_version for s in store.list_sets()] == [a.id, b.id]


def test_publish_refuses_a_failing_check_and_carries_the_report(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    current = store.import_version("aoyang", region, who="a", why="good")
    store.publish(current.id, who="a", why="good", check=passing)
    draft = store.import_version("aoyang", region, who="a", why="bad")
    seen: list[gpd.GeoDataFrame] = []

    def failing(frame: gpd.GeoDataFrame) -> Verdict:
        seen.append(frame)
        return Verdict(ok=False, problems=[OVERLAP])

    with pytest.raises(CheckFailed) as refusal:
        store.publish(draft.id, who="a", why="bad", check=failing)

    assert refusal.value.report["problems"] == [OVERLAP]
    assert "1 overlap" in refusal.value.detail
    assert isinstance(refusal.value, InvalidInput)
    assert sorted(seen[0]["code"]) == sorted(region["code"])
    assert store.get_version(draft.id).status is VersionStatus.DRAFT
    assert store.published_version("aoyang") == store.get_version(current.id)


def test_publish_changes_nothing_when_the_check_raises(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    current = store.import_version("aoyang", region, who="a", why="good")
    store.publish(current.id, who="a", why="good", check=passing)
    draft = store.import_version("aoyang", region, who="a", why="next")

    def broken(frame: gpd.GeoDataFrame) -> Verdict:
        raise RuntimeError("check crashed")

    with pytest.raises(RuntimeError):
        store.publish(draft.id, who="a", why="next", check=broken)

    assert store.get_version(current.id).status is VersionStatus.PUBLISHED
    assert store.get_version(draft.id).status is VersionStatus.DRAFT


def test_publish_is_atomic_when_the_database_fails_between_the_two_updates(
    store: BoundaryStore, region: gpd.GeoDataFrame
) -> None:
    current = store.import_version("aoyang", region, who="a", why="good")
    store.publish(current.id, who="a", why="good", check=passing)
    draft = store.import_version("aoyang", region, who="a", why="next")
    engine = engine_of(store)
    statements: list[str] = []

    def fail_on_publishing(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE BOUNDARY_VERSIONS"):
            statements.append(statement)
            if "published_by" in statement:
                raise RuntimeError("the database went away")

    event.listen(engine, "before_cursor_execute", fail_on_publishing)
    try:
        with pytest.raises(RuntimeError, match="went away"):
            store.publish(draft.id, who="a", why="next", check=passing)
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_publishing)

    assert len(statements) == 2 and "retired_at" in statements[0]  # the old version was retired first...
    old, new = store.get_version(current.id), store.get_version(draft.id)
    assert (old.status, old.retired_at) == (VersionStatus.PUBLISHED, None)  # ...and that was rolled back
    assert (new.status, new.published_at) == (VersionStatus.DRAFT, None)
    assert store.published_version("aoyang") == old


def test_the_database_allows_one_published_version_per_set(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    first = store.import_version("aoyang", region, who="a", why="1")
    second = store.import_version("aoyang", region, who="a", why="2")
    store.publish(first.id, who="a", why="1", check=passing)

    with pytest.raises(IntegrityError), engine_of(store).begin() as connection:
        connection.execute(text("UPDATE boundary_versions SET status = 'published' WHERE id = :id"), {"id": second.id})


def test_only_drafts_can_be_published(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b")
    store.publish(version.id, who="a", why="b", check=passing)

    with pytest.raises(Conflict, match="only a draft"):
        store.publish(version.id, who="a", why="again", check=passing)
    with pytest.raises(NotFound):
        store.publish(version.id + 100, who="a", why="b", check=passing)


@pytest.mark.parametrize("codes_per_query", [None, 2])  # 2: a province's codes, asked for in several queries
def test_features_keep_their_id_across_versions_and_count_revisions(
    store: BoundaryStore, region: gpd.GeoDataFrame, codes_per_query: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if codes_per_query is not None:
        monkeypatch.setattr(rows, "IN_BATCH", codes_per_query)
    first = store.import_version("aoyang", region, who="a", why="1")
    edited = region.copy()
    g1 = edited["code"] == grid_code(1)
    g2 = edited["code"] == grid_code(2)
    edited.loc[g1, "geometry"] = cell(0, 1, 1.25, 1)
    edited.loc[g2, "name"] = "城东二网格"
    second = store.import_version("aoyang", edited[edited["code"] != grid_code(3)], who="a", why="2")

    before = {f.code: f for f in store.features(first.id).features}
    after = {f.code: f for f in store.features(second.id).features}
    assert grid_code(3) not in after
    assert all(after[code].feature_id == before[code].feature_id for code in after)
    assert after[grid_code(1)].revision == 2
    assert after[grid_code(2)].revision == 2
    assert after[COMMUNITY].revision == 1
    again = store.import_version("aoyang", region, who="a", why="3")  # grid 3 comes back with its old id
    assert store.features(again.id, code=grid_code(3)).features[0].feature_id == before[grid_code(3)].feature_id


def test_import_refuses_what_it_cannot_store(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    duplicated = region.copy()
    duplicated.loc[1, "code"] = duplicated.loc[2, "code"]
    pointy = region.copy()
    pointy.loc[3, "geometry"] = shapely.Point(119.5, 27.45)

    with pytest.raises(InvalidInput, match="used by more than one feature"):
        store.import_version("aoyang", duplicated, who="a", why="b")
    with pytest.raises(InvalidInput, match="Point, not a Polygon"):
        store.import_version("aoyang", pointy, who="a", why="b")
    with pytest.raises(InvalidInput, match="say who"):
        store.import_version("aoyang", region, who=" ", why="b")
    assert store.list_versions() == []


def test_edits_need_the_current_revision_and_a_draft(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b")
    grid = store.features(version.id, code=grid_code(1)).features[0]

    edited = store.update_feature(
        version.id, grid.feature_id, expected_revision=1, geometry=cell(0, 1, 1.5, 1), properties={"worker": "李"}
    )

    assert (edited.revision, edited.worker, edited.feature_id) == (2, "李", grid.feature_id)
    assert edited.geometry.equals(cell(0, 1, 1.5, 1))
    assert store.feature(version.id, grid.feature_id) == edited
    with pytest.raises(Conflict, match="since revision 1"):
        store.update_feature(version.id, grid.feature_id, expected_revision=1, properties={"name": "stale"})
    with pytest.raises(Conflict, match="already has a feature with code"):
        store.update_feature(version.id, grid.feature_id, expected_revision=2, properties={"code": grid_code(2)})
    with pytest.raises(InvalidInput, match="cannot edit colour"):
        store.update_feature(version.id, grid.feature_id, expected_revision=2, properties={"colour": "red"})
    with pytest.raises(InvalidInput, match="LineString"):
        store.update_feature(
            version.id, grid.feature_id, expected_revision=2, geometry=shapely.LineString([(0, 0), (1, 1)])
        )
    with pytest.raises(NotFound):
        store.update_feature(version.id, "no-such-id", expected_revision=1, properties={"name": "x"})
    assert store.feature(version.id, grid.feature_id).revision == 2

    store.publish(version.id, who="a", why="b", check=passing)
    with pytest.raises(Conflict, match="only drafts can be edited"):
        store.update_feature(version.id, grid.feature_id, expected_revision=2, properties={"name": "late"})


def test_level_and_counts_are_typed(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b")
    grid = store.features(version.id, code=grid_code(4)).features[0]

    assert grid.level is Level.GRID
    assert grid.households_target == 300
    assert grid.parent == COMMUNITY
    assert store.features(version.id, code=COMMUNITY).features[0].households_target is None


def test_junk_input_is_refused_alike(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    """What PostgreSQL would refuse with a database error is refused up front, the same on both backends."""
    version = store.import_version("aoyang", region, who="a", why="b")
    too_long = region.copy()
    too_long.loc[0, "code"] = "3" * 40
    too_many = region.copy()
    too_many.loc[1, "households_target"] = 10**12

    with pytest.raises(InvalidInput, match="NUL"):
        store.feature(version.id, "\x00")
    with pytest.raises(InvalidInput, match="NUL"):
        store.features(version.id, name_contains="a\x00b")
    with pytest.raises(InvalidInput, match="longer than 32"):
        store.import_version("aoyang", too_long, who="a", why="b")
    with pytest.raises(InvalidInput, match="whole number"):
        store.import_version("aoyang", too_many, who="a", why="b")
    with pytest.raises(InvalidInput, match="longer than 100"):
        store.add_user("x" * 101, Role.VIEWER)
    with pytest.raises(InvalidInput, match="NUL"):
        store.get_set("a\x00")
    with pytest.raises(InvalidInput, match="bbox"):
        store.features(version.id, bbox=(119.5, 27.45, float("nan"), 27.46))
    with pytest.raises(InvalidInput, match="limit"):
        store.features(version.id, limit=10**20)
    with pytest.raises(NotFound):
        store.get_version(10**20)
    with pytest.raises(NotFound):
        store.locate(-1, 119.5, 27.45)


def test_a_second_publisher_is_told_who_won(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    """Two drafts made while version 1 was published: the second publish is refused, naming the first."""
    first = store.import_version("aoyang", region, who="a", why="first")
    store.publish(first.id, who="a", why="first", check=passing)
    mine = store.import_version("aoyang", region, who="甲", why="mine")
    theirs = store.import_version("aoyang", region, who="乙", why="theirs")
    store.publish(theirs.id, who="乙", why="theirs", check=passing)

    with pytest.raises(PublishedMeanwhile) as refusal:
        store.publish(mine.id, who="甲", why="mine", check=passing)
    assert refusal.value.members["published_version"] == theirs.id
    assert refusal.value.members["published_by"] == "乙"
    assert f"version {theirs.id} was published by 乙" in refusal.value.detail
    assert store.get_version(mine.id).status is VersionStatus.DRAFT
    assert store.published_version("aoyang") == store.get_version(theirs.id)

    with pytest.raises(PublishedMeanwhile):  # naming the version it saw does not help: that one is retired
        store.publish(mine.id, who="甲", why="mine", check=passing, expected=ExpectedPublished(first.id))
    store.publish(mine.id, who="甲", why="mine", check=passing, expected=ExpectedPublished(theirs.id))
    assert store.published_version("aoyang") == store.get_version(mine.id)


def test_force_replaces_whatever_is_published(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    old = store.import_version("aoyang", region, who="a", why="old draft")
    newer = store.import_version("aoyang", region, who="b", why="newer")
    store.publish(newer.id, who="b", why="newer", check=passing)
    with pytest.raises(PublishedMeanwhile):
        store.publish(old.id, who="a", why="old", check=passing, expected=ExpectedPublished(None))

    published = store.publish(old.id, who="a", why="old, on purpose", check=passing, force=True)
    assert published.status is VersionStatus.PUBLISHED
    assert store.get_version(newer.id).status is VersionStatus.RETIRED
