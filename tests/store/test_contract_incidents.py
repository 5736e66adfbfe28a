"""The incident half of the store contract, on SQLite and PostGIS: create once per key, read, list, change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.incidents import deadlines
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.intake import advance, open_incident
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import Route
from gridmap.incidents.workflow import AuditAction, Status
from gridmap.store import create_engine_for, migrate, open_store, upgrade_database
from gridmap.store.incident_store import IncidentFilter, IncidentOrder, KeyedReport
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from tests.store.conftest import sqlite_url

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


def incident(
    number: int, *, lon: float = 119.50, lat: float = 27.46, grid: str = "G1", category: str = "noise_livestock"
) -> Incident:
    """A reported test incident (fake reporter) in grid `grid` of community C1."""
    request = ReportRequest(
        service_code=category,
        lon=lon,
        lat=lat,
        description=f"第{number}号:邻居家的鸡",
        address="胜利街1号",
        channel=Channel.APP,
        media_url=None,
        contact={},
    )
    route = Route(lon, lat, "C1", grid, f"{grid}01", "张发敏", 55.0, near_boundary=False)
    at = T0 + timedelta(hours=number)
    return open_incident(
        incident_id=f"I-{number}", request=request, route=route, reporter="居民", role="resident", at=at
    )


@pytest.fixture
def incidents_store(store: BoundaryStore) -> Iterator[BoundaryStore]:
    """The store, its incidents emptied afterwards (the PostGIS database outlives the test)."""
    yield store
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM incident_keys"))
        connection.execute(text("DELETE FROM incident_audit"))
        connection.execute(text("DELETE FROM incidents"))
        connection.execute(text("DELETE FROM incident_cell_counts"))
        connection.execute(text("DELETE FROM incident_area_counts"))


def test_an_incident_reads_back_whole(incidents_store: BoundaryStore) -> None:
    made = incident(1)
    stored, created = incidents_store.create_incident(made)
    assert created and stored == made
    assert incidents_store.get_incident("I-1") == made
    with pytest.raises(NotFound, match="no incident 'I-9'"):
        incidents_store.get_incident("I-9")
    with pytest.raises(Conflict, match="exists already"):
        incidents_store.create_incident(made)


def test_a_key_creates_one_incident_and_refuses_other_content(incidents_store: BoundaryStore) -> None:
    keyed = KeyedReport(client="10.0.0.1", key="k-1", fingerprint="a" * 64)
    first, created = incidents_store.create_incident(incident(1), keyed=keyed)
    again, created_again = incidents_store.create_incident(incident(2), keyed=keyed)
    assert created and not created_again and again.id == first.id == "I-1"
    assert incidents_store.list_incidents(IncidentFilter()).matched == 1
    with pytest.raises(Conflict, match="different report"):
        incidents_store.create_incident(incident(3), keyed=replace(keyed, fingerprint="b" * 64))
    # Another client may use the same key; and after a day the key is forgotten.
    _, other = incidents_store.create_incident(incident(4), keyed=replace(keyed, client="10.0.0.2"))
    later, created_later = incidents_store.create_incident(incident(5), keyed=keyed, now=T0 + timedelta(days=2))
    assert other and created_later and later.id == "I-5"
    with pytest.raises(InvalidInput, match="Idempotency-Key"):
        incidents_store.create_incident(incident(6), keyed=replace(keyed, key="键"))


def test_filters_paging_and_the_number_matched(incidents_store: BoundaryStore) -> None:
    store = incidents_store
    store.create_incident(incident(1, grid="G1"))
    store.create_incident(incident(2, grid="G2", lon=119.52, category="other"))
    store.create_incident(incident(3, grid="G1", lat=27.48))
    next_day = T0 + timedelta(days=1)
    store.change_incident("I-3", lambda i: advance(i, "accepted", actor="张发敏", role="worker", at=next_day))

    def ids(where: IncidentFilter, **paging: int) -> list[str]:
        return [i.id for i in store.list_incidents(where, **paging).incidents]

    assert ids(IncidentFilter()) == ["I-3", "I-2", "I-1"]  # newest report first
    assert ids(IncidentFilter(status=Status.ACCEPTED)) == ["I-3"]
    assert ids(IncidentFilter(statuses=frozenset({Status.ACCEPTED, Status.REPORTED}))) == ["I-3", "I-2", "I-1"]
    assert ids(IncidentFilter(statuses=frozenset({Status.CLOSED}))) == []
    assert ids(IncidentFilter(category="other")) == ["I-2"]
    assert ids(IncidentFilter(grid_code="G1")) == ["I-3", "I-1"]
    assert ids(IncidentFilter(community_code="C1")) == ["I-3", "I-2", "I-1"]
    assert ids(IncidentFilter(community_code="C2")) == []
    since, before = T0 + timedelta(hours=2), T0 + timedelta(hours=3)
    assert ids(IncidentFilter(reported_since=since, reported_before=before)) == ["I-2"]
    assert ids(IncidentFilter(bbox=(119.49, 27.45, 119.51, 27.47))) == ["I-1"]
    page = store.list_incidents(IncidentFilter(), limit=2, offset=1)
    assert [i.id for i in page.incidents] == ["I-2", "I-1"] and page.matched == 3
    assert store.list_incidents(IncidentFilter(grid_code="G1"), limit=1).matched == 2
    assert len(store.list_incidents(IncidentFilter()).incidents[0].audit) == 2
    with pytest.raises(InvalidInput, match="limit"):
        store.list_incidents(IncidentFilter(), limit=0)


def test_soonest_due_first_those_without_a_due_time_last_and_a_count_that_stops(
    incidents_store: BoundaryStore,
) -> None:
    store = incidents_store
    due = {1: T0 + timedelta(days=2), 2: None, 3: T0 + timedelta(days=1), 4: T0 + timedelta(days=1), 5: None}
    for number, due_at in due.items():
        store.create_incident(replace(incident(number), due_at=due_at))
    page = store.list_incidents(IncidentFilter(), order=IncidentOrder.DUE)
    # Equal due times and no due time are ordered by id.
    assert [i.id for i in page.incidents] == ["I-3", "I-4", "I-1", "I-2", "I-5"]
    assert (page.matched, page.capped) == (5, False)
    second = store.list_incidents(IncidentFilter(), order=IncidentOrder.DUE, limit=2, offset=2, count_up_to=3)
    assert [i.id for i in second.incidents] == ["I-1", "I-2"]
    assert (second.matched, second.capped) == (3, True)  # counting stopped at 3: at least 3 match
    exact = store.list_incidents(IncidentFilter(), count_up_to=5)
    assert (exact.matched, exact.capped) == (5, False)
    with pytest.raises(InvalidInput, match="count cap"):
        store.list_incidents(IncidentFilter(), count_up_to=0)


def test_a_workers_whole_queue_holds_their_grids_and_their_own_incidents_once(incidents_store: BoundaryStore) -> None:
    store = incidents_store
    days = timedelta(days=1)
    for made in (
        replace(incident(1, grid="G1"), worker="李明", due_at=T0 + 3 * days),  # in their grid, another's
        replace(incident(2, grid="G2"), due_at=T0 + days),  # theirs, in another grid
        replace(incident(3, grid="G1"), due_at=T0 + 2 * days),  # in their grid and theirs: listed once
        replace(incident(4, grid="G2"), worker="李明", due_at=T0),  # neither
        replace(incident(5, grid="G1"), worker=None),  # in their grid, no due time: last
    ):
        store.create_incident(made)
    scope = IncidentScope(grid_codes=frozenset({"G1"}), worker="张发敏")
    due = store.list_incidents(IncidentFilter(scope=scope), order=IncidentOrder.DUE)
    assert [i.id for i in due.incidents] == ["I-2", "I-3", "I-1", "I-5"]
    assert (due.matched, due.capped) == (4, False)
    newest = store.list_incidents(IncidentFilter(scope=scope), limit=2, offset=1, count_up_to=3)
    assert [i.id for i in newest.incidents] == ["I-3", "I-2"]
    assert (newest.matched, newest.capped) == (3, True)
    # A status too (all five are reported): the same incidents.
    reported = store.list_incidents(IncidentFilter(scope=scope, status=Status.REPORTED), order=IncidentOrder.DUE)
    assert [i.id for i in reported.incidents] == ["I-2", "I-3", "I-1", "I-5"] and reported.matched == 4
    past_the_end = store.list_incidents(IncidentFilter(scope=scope), offset=4, count_up_to=3)
    assert (past_the_end.incidents, past_the_end.matched, past_the_end.capped) == ([], 3, True)


def test_a_list_without_whole_trails_reads_each_pending_request_alone(incidents_store: BoundaryStore) -> None:
    store = incidents_store
    limits = deadlines.load_time_limits()
    at = T0 + timedelta(days=1)
    for number in range(1, 6):
        store.create_incident(incident(number))
        store.change_incident(f"I-{number}", lambda i: advance(i, "accepted", actor="张发敏", role="worker", at=at))

    def ask(incident_id: str, hour: int, *, hold: bool, hours: float | None = None) -> None:
        when = at + timedelta(hours=hour)
        store.change_incident(
            incident_id,
            lambda i: deadlines.request_time(
                i, hold=hold, actor="张发敏", role="worker", at=when, note="等材料", hours=hours
            ),
        )

    def decide(incident_id: str, hour: int) -> None:
        when = at + timedelta(hours=hour)
        store.change_incident(
            incident_id,
            lambda i: deadlines.decide_request(i, limits, approve=False, actor="调度员", role="planner", at=when),
        )

    ask("I-2", 1, hold=True)  # pending
    ask("I-3", 1, hold=False, hours=8.0)
    decide("I-3", 2)  # answered: none pending
    ask("I-4", 1, hold=False, hours=8.0)
    later = at + timedelta(hours=2)
    store.change_incident("I-4", lambda i: advance(i, "dispatched", actor="调度员", role="planner", at=later))
    ask("I-5", 1, hold=True)
    decide("I-5", 2)
    ask("I-5", 3, hold=False, hours=4.0)  # asked again after an answer: pending
    listed = store.list_incidents(IncidentFilter(), whole_trails=False).incidents
    pending = {i.id: deadlines.pending_request(store.get_incident(i.id)) for i in listed}
    assert {key for key, request in pending.items() if request is not None} == {"I-2", "I-5"}
    for one in listed:
        request = pending[one.id]
        assert one.audit == (() if request is None else (request,))
        assert one == replace(store.get_incident(one.id), audit=one.audit)


def test_a_change_appends_to_the_audit_trail_and_refusals_store_nothing(incidents_store: BoundaryStore) -> None:
    store = incidents_store
    store.create_incident(incident(1))
    at = T0 + timedelta(days=1)
    accepted = store.change_incident("I-1", lambda i: advance(i, "accepted", actor="张发敏", role="worker", at=at))
    assert accepted.status is Status.ACCEPTED and accepted.state.updated_at == at
    assert [e.action for e in accepted.audit] == [AuditAction.REPORT, AuditAction.TRANSITION]
    assert store.get_incident("I-1") == accepted
    with pytest.raises(Conflict, match="cannot go from accepted to resolved"):
        store.change_incident("I-1", lambda i: advance(i, "resolved", actor="张发敏", role="worker", at=at))
    with pytest.raises(InvalidInput, match="only append"):
        store.change_incident("I-1", lambda i: replace(i, audit=i.audit[:1]))
    assert store.get_incident("I-1") == accepted
    with pytest.raises(NotFound):
        store.change_incident("I-9", lambda i: i)


def test_words_are_found_in_the_number_description_or_address_as_like_finds_them(
    incidents_store: BoundaryStore,
) -> None:
    store = incidents_store
    texts = [  # description, address
        ("路灯不亮,晚上很黑", "胜利街1号"),
        ("垃圾堆放多日无人清运", "东门路12号"),
        ("楼道堆满纸箱 5%_折", "胜利街3号"),
        ("门口有垃", "圾桶"),  # 垃圾 only across the two texts
        ("垃圾", "胜利街1号"),
    ]
    for number, (description, address) in enumerate(texts, start=1):
        made = replace(incident(number), description=description, address=address)
        store.create_incident(made, number_prefix="SN")
    changed = store.change_incident("I-1", lambda i: replace(i, description="路灯修好了"))
    number_words = (changed.number or "").lower()  # SN-20261005-0001 in any case

    def ids(words: str) -> list[str]:
        return sorted(i.id for i in store.list_incidents(IncidentFilter(text=words), limit=10).incidents)

    def held(words: str) -> list[str]:
        found = store.list_incidents(IncidentFilter(), limit=10).incidents
        strip = words.strip()
        return sorted(
            i.id for i in found if strip.upper() in (i.number or "") or strip in i.description or strip in i.address
        )

    searched = [
        "垃圾",
        " 垃圾 ",
        "路",
        "胜利街1",
        "街3",
        "5%_",
        "%",
        "_",
        "不亮",
        "修好",
        "堆放多日无人清运",
        "圾桶",
        "门口有垃圾",
    ]
    for words in [*searched, number_words, "无此词语", " "]:
        assert ids(words) == held(words), words
    assert ids("垃圾") == ["I-2", "I-5"] and ids("不亮") == [] and ids(number_words) == ["I-1"]


def test_migration_0003_adds_and_removes_the_incident_tables(tmp_path: Path) -> None:
    engine = create_engine_for(sqlite_url(tmp_path))
    try:
        migrate.upgrade(engine)
        assert {"incidents", "incident_audit", "incident_keys"} <= set(inspect(engine).get_table_names())
        migrate.downgrade(engine, "0002")
        tables = set(inspect(engine).get_table_names())
        assert not {"incidents", "incident_audit", "incident_keys"} & tables and "households" in tables
    finally:
        engine.dispose()


def test_migration_0018_puts_the_queues_in_index_order_and_back(tmp_path: Path) -> None:
    engine = create_engine_for(sqlite_url(tmp_path))

    def indexes() -> dict[str, list[str | None]]:
        return {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("incidents")}

    try:
        migrate.upgrade(engine)
        queues = indexes()
        assert queues["ix_incidents_status_due"] == ["status", "due_at", "id"]
        assert queues["ix_incidents_worker_due"] == ["worker", "due_at", "id"]
        assert not {"ix_incidents_status", "ix_incidents_due_at", "ix_incidents_grid_code"} & set(queues)
        with engine.connect() as connection:
            plan = connection.execute(
                text("EXPLAIN QUERY PLAN SELECT * FROM incidents ORDER BY due_at NULLS LAST, id LIMIT 200")
            ).all()
        steps = " / ".join(row[-1] for row in plan)
        assert "USING INDEX ix_incidents_due" in steps and "TEMP B-TREE" not in steps  # read in order, no sort
        migrate.downgrade(engine, "0017")
        before = indexes()
        assert before["ix_incidents_status"] == ["status"] and before["ix_incidents_due_at"] == ["due_at"]
        assert not {"ix_incidents_status_due", "ix_incidents_worker_due", "ix_incidents_due"} & set(before)
    finally:
        engine.dispose()


@pytest.mark.postgis
def test_migration_0022_indexes_the_stored_words_on_postgis_and_drops_them(
    postgis_databases: Callable[..., str],
) -> None:
    url = postgis_databases()
    upgrade_database(url)
    with open_store(url) as store:
        store.create_incident(replace(incident(1), description="垃圾堆放多日无人清运"))
    engine = create_engine_for(url)
    search = text(
        "SELECT id FROM incidents WHERE incident_grams(number, description, address) @> ARRAY['垃圾', '放多']"
    )

    def indexed() -> bool:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_incidents_grams'"))
            return found.first() is not None

    try:
        migrate.downgrade(engine, "0021")
        assert not indexed()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT to_regproc('incident_grams')")).scalar_one() is None
        migrate.upgrade(engine)  # the index is built on the incidents stored before it
        assert indexed()
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(row[0] for row in connection.execute(text(f"EXPLAIN {search.text}")))
            assert "ix_incidents_grams" in plan
            assert connection.execute(search).scalars().all() == ["I-1"]
    finally:
        engine.dispose()


@pytest.mark.postgis
def test_points_have_a_spatial_index_on_postgis(postgis_store: BoundaryStore) -> None:
    assert isinstance(postgis_store, SqlBoundaryStore)
    with postgis_store.engine.connect() as connection:
        index = connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_incidents_point'")
        ).scalar_one()
    assert "USING gist (point)" in index
