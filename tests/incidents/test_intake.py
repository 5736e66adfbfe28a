"""Whole incidents: opened from a parsed report and a route, advanced, rated, and moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import Conflict, InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.incidents.intake import advance, move_pin, open_incident, rate_incident
from gridmap.incidents.model import Channel
from gridmap.incidents.open311 import ReportRequest, parse_report
from gridmap.incidents.routing import Route, route_report
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.incidents.workflow import AuditAction, Status, replay

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Area:
    code: str
    level: Level | None
    worker: str | None
    geometry: BaseGeometry


G1 = Area("350924100001001", Level.GRID, "张发敏", shapely.box(119.500, 27.455, 119.505, 27.465))
G2 = Area("350924100001002", Level.GRID, "李四", shapely.box(119.505, 27.455, 119.510, 27.465))


def opened() -> tuple[ReportRequest, Route]:
    request = parse_report(
        {"service_code": "noise_livestock", "lat": "27.46", "long": "119.502", "description": "邻居家的鸡"},
        default_taxonomy(),
    )
    route = route_report(request.lon, request.lat, [G1])
    return request, route


def test_open_advance_and_rate_keep_one_audit_trail() -> None:
    request, route = opened()
    incident = open_incident(
        incident_id="I-1",
        request=request,
        route=route,
        reporter="居民",
        role="resident",
        at=T0,
    )
    assert (incident.status, incident.grid_code, incident.worker) == (Status.REPORTED, G1.code, "张发敏")
    assert incident.channel is Channel.APP
    assert incident.audit[0].note == "channel app"
    steps = [("accepted", "worker"), ("dispatched", "planner"), ("in_progress", "worker")]
    steps += [("resolved", "worker"), ("closed", "planner")]
    for hours, (target, role) in enumerate(steps, start=1):
        incident = advance(incident, target, actor="x", role=role, at=T0 + timedelta(hours=hours))
    incident = rate_incident(incident, 4, actor="居民", role="resident", at=T0 + timedelta(days=1))
    assert incident.state.rating == 4
    assert len(incident.audit) == 7
    assert replay(list(incident.audit)) == incident.state


def test_moving_the_pin_reroutes_and_is_audited_until_dispatch() -> None:
    request, route = opened()
    incident = open_incident(
        incident_id="I-1",
        request=request,
        route=route,
        reporter="居民",
        role="resident",
        at=T0,
    )
    moved, rerouted = move_pin(incident, 119.508, 27.46, [G2], actor="居民", role="resident", at=T0)
    assert rerouted.grid_changed
    assert (moved.grid_code, moved.worker, moved.lon) == (G2.code, "李四", 119.508)
    assert moved.audit[-1].action is AuditAction.MOVE
    assert G1.code in moved.audit[-1].note
    with pytest.raises(InvalidInput, match="outside every grid"):
        move_pin(moved, 120.0, 28.0, [], actor="居民", role="resident", at=T0)
    moved = advance(moved, "accepted", actor="w", role="worker", at=T0)
    moved = advance(moved, "dispatched", actor="p", role="planner", at=T0)
    with pytest.raises(Conflict, match="cannot move"):
        move_pin(moved, 119.502, 27.46, [G1], actor="p", role="planner", at=T0)
    assert replay(list(moved.audit)) == moved.state
