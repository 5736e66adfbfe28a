"""The draft edit store contract, run on SQLite and on PostGIS: drafts copied from a version, atomic edits with
optimistic locking, the history, linear undo and redo."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import delete, update

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.geo.hierarchy import Level
from gridmap.store.diff import diff_features
from gridmap.store.edit_store import EditRequest, EditState, StagedFeature, StaleFeatures
from gridmap.store.interface import BoundaryStore
from gridmap.store.tables import BoundaryVersion, GridFeature
from gridmap.store.version_store import Feature, FeatureValues, VersionStatus
from tests.boundary_builders import cell
from tests.store.conftest import engine_of, grid_code, passing


def _draft(store: BoundaryStore, region: gpd.GeoDataFrame) -> tuple[int, int]:
    """A published version of the region and a draft started from it."""
    base = store.import_version("aoyang", region, who="张发敏", why="survey")
    store.publish(base.id, who="张发敏", why="approved", check=passing)
    draft = store.start_draft(base.id, who="李秀英", why="reshape the north grids")
    return base.id, draft.version.id


def _by_code(store: BoundaryStore, version_id: int) -> dict[str, Feature]:
    return {f.code: f for f in store.features(version_id).features}


def _request(op: str = "attributes") -> EditRequest:
    return EditRequest(op=op, params={"why": "test"}, who="李秀英", why="test", area_moved_m2=1.5)


def test_a_draft_copies_the_features_with_their_ids_and_revisions(
    store: BoundaryStore, region: gpd.GeoDataFrame
) -> None:
    base, draft = _draft(store, region)

    info = store.draft_info(draft)
    assert info.version.status is VersionStatus.DRAFT
    assert (info.based_on, info.edit_seq, info.version.created_by) == (base, 0, "李秀英")
    copied = {(f.feature_id, f.revision, f.code, f.geometry.wkb) for f in store.features(draft).features}
    assert copied == {(f.feature_id, f.revision, f.code, f.geometry.wkb) for f in store.features(base).features}
    assert store.draft_info(base).based_on is None
    assert store.edits(draft) == []


def test_an_edit_writes_every_feature_at_once_and_is_recorded(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    _, draft = _draft(store, region)
    grids = _by_code(store, draft)
    first, second = grids[grid_code(1)], grids[grid_code(2)]
    # Swap the two grids' codes (UNIQUE(version_id, code) holds at the end only) and rename one.
    swapped = [
        StagedFeature(first.feature_id, dataclasses.replace(first, code=second.code, name="新名")),
        StagedFeature(second.feature_id, dataclasses.replace(second, code=first.code)),
    ]
    expected = {first.feature_id: first.revision, second.feature_id: second.revision}

    step = store.apply_changes(draft, written=swapped, deleted=[], expected=expected, request=_request())

    after = {f.feature_id: f for f in store.features(draft).features}
    assert (after[first.feature_id].code, after[first.feature_id].name) == (second.code, "新名")
    assert after[second.feature_id].code == first.code
    assert after[first.feature_id].revision == first.revision + 1
    assert step.draft.edit_seq == 1
    assert step.record.seq == 1 and step.record.state is EditState.APPLIED
    assert step.record.feature_ids == sorted(expected)
    assert {f.code for f in step.record.before} == {first.code, second.code}
    [listed] = store.edits(draft)
    assert (listed.op, listed.who, listed.params, listed.area_moved_m2) == (
        "attributes",
        "李秀英",
        {"why": "test"},
        1.5,
    )


def test_compare_returns_exactly_the_features_a_draft_changed(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    """The database compares both versions' rows: a reshaped feature, one with a changed attribute only, a deleted
    and an added one come back, and no other (not one changed and changed back, at a new revision)."""
    base, draft = _draft(store, region)
    store.start_draft(base, who="王", why="a second draft: the first one's new rows are stored after its rows")
    features = _by_code(store, draft)
    reshaped, retargeted, deleted, renamed = (
        features[code] for code in (grid_code(1), grid_code(3), f"{grid_code(4)}02", grid_code(2))
    )
    added = FeatureValues(
        f"{grid_code(4)}03", "新网格", Level.MICROGRID, grid_code(4), None, None, cell(1.5, 0, 0.5, 1)
    )
    written = [
        StagedFeature(reshaped.feature_id, dataclasses.replace(reshaped, geometry=cell(0, 1, 1.25, 1))),
        StagedFeature(retargeted.feature_id, dataclasses.replace(retargeted, households_target=7)),
        StagedFeature(renamed.feature_id, dataclasses.replace(renamed, name="临时")),
        StagedFeature(str(uuid.uuid4()), added),
    ]
    touched = {f.feature_id: f.revision for f in (reshaped, retargeted, renamed, deleted)}
    store.apply_changes(draft, written=written, deleted=[deleted.feature_id], expected=touched, request=_request())
    back = [StagedFeature(renamed.feature_id, renamed)]
    store.apply_changes(
        draft, written=back, deleted=[], expected={renamed.feature_id: renamed.revision + 1}, request=_request()
    )

    comparison = store.compare(base, draft)
    reverse = store.compare(draft, base)  # from the draft, whose rows are not stored together

    assert [f.code for f in comparison.before] == [reshaped.code, retargeted.code, deleted.code]
    assert [f.code for f in comparison.after] == [reshaped.code, retargeted.code, added.code]
    assert [f.version_id for f in comparison.before + comparison.after] == [base] * 3 + [draft] * 3
    assert ([f.code for f in reverse.before], [f.code for f in reverse.after]) == (
        [f.code for f in comparison.after],
        [f.code for f in comparison.before],
    )
    diff = comparison.diff
    assert ([f.code for f in diff.added], [f.code for f in diff.removed]) == ([added.code], [deleted.code])
    assert [r.code for r in diff.reshaped] == [reshaped.code]
    assert [(c.code, c.changes) for c in diff.changed] == [(retargeted.code, {"households_target": (300, 7)})]
    every = [store.features(version).features for version in (base, draft)]
    assert diff == diff_features(base, draft, *every)


def test_revisions_tell_what_edits_undo_and_redo_wrote_and_a_comparison_of_those_alone_brings_one_up_to_date(
    store: BoundaryStore, region: gpd.GeoDataFrame
) -> None:
    base, draft = _draft(store, region)
    features = _by_code(store, draft)
    reshaped, renamed, deleted = (features[code] for code in (grid_code(1), grid_code(2), f"{grid_code(4)}02"))
    created = StagedFeature(
        str(uuid.uuid4()),
        FeatureValues(f"{grid_code(4)}03", "新网格", Level.MICROGRID, grid_code(4), None, None, cell(1.5, 0, 0.5, 1)),
    )
    written = [
        StagedFeature(reshaped.feature_id, dataclasses.replace(reshaped, geometry=cell(0, 1, 1.25, 1))),
        StagedFeature(renamed.feature_id, dataclasses.replace(renamed, name="临时")),  # an attribute alone
        created,
    ]
    touched = {reshaped.feature_id, renamed.feature_id, deleted.feature_id, created.feature_id}
    revisions, comparison = store.feature_revisions(draft), store.compare(base, draft)
    steps = [
        lambda: store.apply_changes(
            draft,
            written=written,
            deleted=[deleted.feature_id],
            expected={f.feature_id: f.revision for f in (reshaped, renamed, deleted)},
            request=_request(),
        ),
        lambda: store.undo(draft),
        lambda: store.redo(draft),
    ]
    for step in steps:
        step()
        now = store.feature_revisions(draft)
        moved = now.moved_since(revisions)
        comparison = store.recompare(comparison, moved)

        assert moved == touched
        assert comparison == store.compare(base, draft)
        revisions = now
    assert comparison.diff.reshaped and comparison.diff.changed and comparison.diff.added and comparison.diff.removed
    assert store.feature_revisions(draft).moved_since(revisions) == set()
    # Compared again, a feature the draft holds as the base version does stays out of the comparison.
    assert store.recompare(comparison, [features[grid_code(3)].feature_id]) == comparison


def test_a_stale_revision_stores_nothing(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    _, draft = _draft(store, region)
    grid = _by_code(store, draft)[grid_code(1)]
    staged = [StagedFeature(grid.feature_id, dataclasses.replace(grid, name="改"))]
    store.apply_changes(
        draft, written=staged, deleted=[], expected={grid.feature_id: grid.revision}, request=_request()
    )

    with pytest.raises(StaleFeatures) as stale:
        store.apply_changes(
            draft, written=staged, deleted=[], expected={grid.feature_id: grid.revision}, request=_request()
        )

    assert stale.value.current == {grid.feature_id: grid.revision + 1}
    assert stale.value.http_status == 412
    assert store.draft_info(draft).edit_seq == 1
    assert len(store.edits(draft)) == 1


def test_a_duplicate_code_or_a_line_is_refused_whole(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    _, draft = _draft(store, region)
    grids = _by_code(store, draft)
    first, second = grids[grid_code(1)], grids[grid_code(2)]
    expected = {first.feature_id: first.revision}
    before = {(f.feature_id, f.revision, f.code) for f in store.features(draft).features}

    with pytest.raises(InvalidInput, match="same code"):
        store.apply_changes(
            draft,
            written=[StagedFeature(first.feature_id, dataclasses.replace(first, code=second.code))],
            deleted=[],
            expected=expected,
            request=_request(),
        )
    with pytest.raises(InvalidInput, match="geometry"):
        line = shapely.LineString([(0, 0), (1, 1)])
        store.apply_changes(
            draft,
            written=[StagedFeature(first.feature_id, dataclasses.replace(first, geometry=line))],
            deleted=[],
            expected=expected,
            request=_request(),
        )

    assert {(f.feature_id, f.revision, f.code) for f in store.features(draft).features} == before
    assert store.edits(draft) == []


def test_undo_and_redo_write_the_snapshots_back(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    _, draft = _draft(store, region)
    grids = _by_code(store, draft)
    north, south = grids[grid_code(1)], grids[grid_code(3)]
    created = dataclasses.replace(north, feature_id="new-feature", code=f"{grid_code(9)}", geometry=cell(3, 3))
    store.apply_changes(
        draft,
        written=[StagedFeature(created.feature_id, created)],
        deleted=[south.feature_id],
        expected={south.feature_id: south.revision},
        request=_request("create"),
    )
    assert grid_code(3) not in _by_code(store, draft)
    assert _by_code(store, draft)[grid_code(9)].revision == 1

    undone = store.undo(draft)

    now = _by_code(store, draft)
    assert grid_code(9) not in now
    assert now[grid_code(3)].geometry.equals_exact(south.geometry, 0)
    assert now[grid_code(3)].feature_id == south.feature_id
    assert now[grid_code(3)].revision > south.revision
    assert undone.record.state is EditState.UNDONE and undone.deleted == ("new-feature",)
    assert undone.draft.edit_seq == 2
    with pytest.raises(Conflict, match="nothing to undo"):
        store.undo(draft)

    redone = store.redo(draft)

    now = _by_code(store, draft)
    assert grid_code(3) not in now and now[grid_code(9)].geometry.equals_exact(cell(3, 3), 0)
    assert redone.record.state is EditState.APPLIED and redone.draft.edit_seq == 3
    with pytest.raises(Conflict, match="nothing to redo"):
        store.redo(draft)


def test_the_feature_count_follows_edits_undo_and_redo(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    base, draft = _draft(store, region)
    assert store.draft_info(draft).version.feature_count == 13
    grids = _by_code(store, draft)
    south = grids[grid_code(3)]
    added = [dataclasses.replace(south, feature_id=f"new-{n}", code=grid_code(n), geometry=cell(n, 3)) for n in (8, 9)]

    step = store.apply_changes(
        draft,
        written=[StagedFeature(f.feature_id, f) for f in added],
        deleted=[south.feature_id],
        expected={south.feature_id: south.revision},
        request=_request("create"),
    )
    with pytest.raises(InvalidInput, match="same code"):  # rolled back: the count it made must not stay behind
        clash = dataclasses.replace(south, feature_id="new-7", code=grid_code(8), geometry=cell(7, 3))
        store.apply_changes(
            draft, written=[StagedFeature("new-7", clash)], deleted=[], expected={}, request=_request("create")
        )

    assert step.draft.version.feature_count == 14
    assert store.draft_info(draft).version.feature_count == store.get_version(draft).feature_count == 14
    assert store.undo(draft).draft.version.feature_count == 13
    assert store.get_version(draft).feature_count == 13
    assert store.redo(draft).draft.version.feature_count == 14
    assert store.get_version(draft).feature_count == len(store.features(draft).features) == 14
    assert store.get_version(base).feature_count == 13


def test_a_count_is_kept_only_when_its_transaction_commits(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    _, draft = _draft(store, region)
    sql_store: Any = store
    assert store.get_version(draft).feature_count == 13
    in_draft = GridFeature.version_id == draft
    next_step = update(BoundaryVersion).where(BoundaryVersion.id == draft).values(edit_seq=1)

    with pytest.raises(RuntimeError), sql_store._transaction() as session:  # a step counted, then rolled back
        session.execute(delete(GridFeature).where(in_draft, GridFeature.code.in_([grid_code(3), grid_code(4)])))
        session.execute(next_step)
        assert sql_store._version_info(session, sql_store._version_row(session, draft)).feature_count == 11
        raise RuntimeError

    with engine_of(store).begin() as connection:  # another worker's step, committed, at the same edit_seq
        connection.execute(delete(GridFeature).where(in_draft, GridFeature.code == grid_code(3)))
        connection.execute(next_step)
    assert store.get_version(draft).feature_count == 12


def test_undo_refuses_when_a_touched_feature_moved_on(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    _, draft = _draft(store, region)
    grid = _by_code(store, draft)[grid_code(1)]
    store.apply_changes(
        draft,
        written=[StagedFeature(grid.feature_id, dataclasses.replace(grid, name="一"))],
        deleted=[],
        expected={grid.feature_id: grid.revision},
        request=_request(),
    )
    # Someone edits the same feature through the version store, outside the history.
    store.update_feature(draft, grid.feature_id, expected_revision=grid.revision + 1, properties={"name": "二"})

    with pytest.raises(StaleFeatures):
        store.undo(draft)

    assert _by_code(store, draft)[grid_code(1)].name == "二"


def test_an_edit_after_an_undo_discards_the_undone_edits(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    _, draft = _draft(store, region)

    def rename(code: str, name: str) -> None:
        grid = _by_code(store, draft)[code]
        store.apply_changes(
            draft,
            written=[StagedFeature(grid.feature_id, dataclasses.replace(grid, name=name))],
            deleted=[],
            expected={grid.feature_id: grid.revision},
            request=_request(),
        )

    rename(grid_code(1), "一")
    rename(grid_code(2), "二")
    store.undo(draft)
    rename(grid_code(4), "四")

    history = store.edits(draft)
    assert [(e.seq, e.state) for e in history] == [(1, EditState.APPLIED), (2, EditState.APPLIED)]
    assert _by_code(store, draft)[grid_code(2)].name != "二"
    with pytest.raises(Conflict):
        store.redo(draft)


def test_only_drafts_take_edits(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    base, _ = _draft(store, region)
    grid = _by_code(store, base)[grid_code(1)]

    with pytest.raises(Conflict, match="only drafts"):
        store.apply_changes(
            base,
            written=[StagedFeature(grid.feature_id, dataclasses.replace(grid, name="x"))],
            deleted=[],
            expected={grid.feature_id: grid.revision},
            request=_request(),
        )


def test_reads_in_a_reading_block_answer_as_outside_it_and_a_write_after_it_is_seen(
    store: BoundaryStore, region: gpd.GeoDataFrame
) -> None:
    _, draft = _draft(store, region)
    first = _by_code(store, draft)[grid_code(1)]
    box = first.geometry.bounds
    outside = (store.draft_info(draft), store.features(draft, bbox=box).features)
    outside += (store.feature(draft, first.feature_id),)

    with store.reading():
        with store.reading():  # a block inside another is part of it
            inside = (store.draft_info(draft), store.features(draft, bbox=box).features)
        with pytest.raises(NotFound):  # a refusal inside the block leaves its transaction usable
            store.feature(draft, "no-such-feature")
        inside += (store.feature(draft, first.feature_id),)
    assert inside == outside

    renamed = dataclasses.replace(first, name="新名")
    store.apply_changes(
        draft,
        written=[StagedFeature(first.feature_id, renamed)],
        deleted=[],
        expected={first.feature_id: first.revision},
        request=_request(),
    )
    with store.reading():
        assert store.feature(draft, first.feature_id).name == "新名"
        assert store.draft_info(draft).edit_seq == 1
