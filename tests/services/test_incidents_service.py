"""The incident use cases on a real store: report (routed in a boundary version), advance, rate, move the pin."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.incidents.model import Channel
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.workflow import AuditAction, Status
from gridmap.services import incidents as incident_service
from gridmap.services.locator import LocatorCache
from gridmap.store.incident_store import IncidentFilter, KeyedReport
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import VersionInfo
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP
from tests.store.conftest import frame_from, grid_code, region_features

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
IN_GRID_1 = (LON0 + 0.25 * STEP, LAT0 + 1.5 * STEP)
IN_GRID_4 = (LON0 + 1.25 * STEP, LAT0 + 0.5 * STEP)


@pytest.fixture
def locators(store: BoundaryStore) -> LocatorCache:
    """Point lookups over the store."""
    return LocatorCache(store)


@pytest.fixture
def version(store: BoundaryStore) -> VersionInfo:
    """The test region imported as a version."""
    return store.import_version("aoyang", frame_from(region_features()), who="a", why="b")


def request_at(where: tuple[float, float]) -> ReportRequest:
    lon, lat = where
    return ReportRequest("noise_livestock", lon, lat, "邻居家的鸡", "", Channel.APP, None, {})


def test_report_advance_rate_and_move(store: BoundaryStore, locators: LocatorCache, version: VersionInfo) -> None:
    def report(where: tuple[float, float], keyed: KeyedReport | None = None) -> tuple[str, bool]:
        made, created = incident_service.report_incident(
            store=store,
            locators=locators,
            version=version,
            request=request_at(where),
            reporter="居民",
            role="resident",
            at=T0,
            keyed=keyed,
        )
        return made.id, created

    first, _ = report(IN_GRID_1)
    assert store.get_incident(first).worker == "worker 001"
    lon, lat = IN_GRID_4
    moved = incident_service.move_incident_pin(
        store=store,
        locators=locators,
        version=version,
        incident_id=first,
        lon=lon,
        lat=lat,
        actor="居民",
        role="resident",
        at=T0 + timedelta(minutes=5),
    )
    assert (moved.grid_code, moved.community_code) == (grid_code(4), COMMUNITY)
    assert moved.audit[-1].action is AuditAction.MOVE
    keyed = KeyedReport("10.0.0.1", "k-1", "f" * 64)
    keyed_id, created = report(IN_GRID_1, keyed)
    assert created and report(IN_GRID_1, keyed) == (keyed_id, False)
    with pytest.raises(InvalidInput, match="grid"):
        report((LON0 - 3 * STEP, LAT0))

    steps = [("accepted", "worker"), ("dispatched", "planner"), ("in_progress", "worker")]
    steps += [("resolved", "worker"), ("closed", "planner")]
    for hours, (target, role) in enumerate(steps, start=1):
        incident_service.advance_incident(
            store=store, incident_id=first, to=target, actor="staff", role=role, at=T0 + timedelta(hours=hours)
        )
    with pytest.raises(NotFound):
        incident_service.advance_incident(
            store=store, incident_id=first, to="duplicate", actor="s", role="worker", at=T0, duplicate_of="I-none"
        )
    rated = incident_service.rate(store=store, incident_id=first, rating=5, actor="居民", at=T0 + timedelta(days=1))
    assert (rated.status, rated.state.rating) == (Status.CLOSED, 5)
    with pytest.raises(Conflict, match="already rated"):
        incident_service.rate(store=store, incident_id=first, rating=4, actor="居民", at=T0 + timedelta(days=2))
    assert len(store.get_incident(first).audit) == 8


def test_words_are_searched_in_the_last_90_days_unless_dates_are_given(
    store: BoundaryStore, locators: LocatorCache, version: VersionInfo
) -> None:
    for days_ago in (100, 10):
        incident_service.report_incident(
            store=store,
            locators=locators,
            version=version,
            request=request_at(IN_GRID_1),
            reporter="居民",
            role="resident",
            at=T0 - timedelta(days=days_ago),
        )

    def found(where: IncidentFilter) -> list[datetime]:
        page = incident_service.list_incidents(store=store, where=where, limit=10, offset=0)
        return [incident.state.reported_at for incident in page.incidents]

    words = IncidentFilter(text="家的鸡")
    assert found(incident_service.word_search_window(words, T0)) == [T0 - timedelta(days=10)]
    dated = replace(words, reported_before=T0)
    assert found(incident_service.word_search_window(dated, T0)) == [T0 - timedelta(days=10), T0 - timedelta(days=100)]
    # Without words there is no window.
    assert incident_service.word_search_window(IncidentFilter(), T0) == IncidentFilter()
