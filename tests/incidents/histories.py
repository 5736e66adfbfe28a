"""Hand-built incident histories for the scoring tests: a report, then steps at given China times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gridmap.incidents import deadlines
from gridmap.incidents.field_loop import answer_task, unlink
from gridmap.incidents.intake import advance, open_incident, rate_incident
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import Route
from gridmap.incidents.workflow import AuditAction

CHINA = ZoneInfo("Asia/Shanghai")
LIMITS = deadlines.load_time_limits()  # the shipped limits: file 2 h, dispatch 2 h, handle 3 working days
GRID_1 = "350924100001001"
GRID_2 = "350924100001002"


def china(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of 2026 in China time."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA)


@dataclass(frozen=True)
class History:
    """An incident being built step by step (each method returns the history one step on)."""

    incident: Incident

    @classmethod
    def reported(
        cls, number: int, at: datetime, *, grid: str = GRID_1, worker: str | None = "张发敏", category: str = "other"
    ) -> History:
        """Incident S-`number` reported by a resident at `at`, routed to `grid` and `worker`."""
        request = ReportRequest(category, 119.5, 27.45, f"第{number}号", "", Channel.APP, None, {})
        route = Route(119.5, 27.45, grid[:12], grid, f"{grid}01", worker, 50.0, near_boundary=False)
        opened = open_incident(
            incident_id=f"S-{number}", request=request, route=route, reporter="居民", role="resident", at=at
        )
        return cls(opened)

    def to(self, status: str, at: datetime, *, role: str = "planner") -> History:
        """A workflow step."""
        return History(advance(self.incident, status, actor="staff", role=role, at=at, note="办理"))

    def handled(self, accepted: datetime, dispatched: datetime, resolved: datetime) -> History:
        """Filed, dispatched, started at once, and resolved."""
        started = self.to("accepted", accepted).to("dispatched", dispatched)
        return started.to("in_progress", dispatched, role="worker").to("resolved", resolved, role="worker")

    def check_failed(self, at: datetime) -> History:
        """The worker's check found the fix did not hold: back to in progress."""
        failed = answer_task(self.incident, AuditAction.CHECK_FAIL, actor="w", role="worker", at=at, note="仍有积水")
        return History(failed)

    def duplicate_of(self, original: str, at: datetime) -> History:
        """Marked a duplicate of incident `original` by a dispatcher."""
        return History(advance(self.incident, "duplicate", actor="d", role="planner", at=at, duplicate_of=original))

    def unlinked(self, at: datetime) -> History:
        """A duplicate marking undone by a dispatcher: open again where it was marked."""
        return History(unlink(self.incident, actor="d", role="planner", at=at, note="不是同一件事"))

    def extended(self, hours: float, asked: datetime, approved: datetime) -> History:
        """An extension of `hours` working hours asked for and approved."""
        asking = deadlines.request_time(
            self.incident, hold=False, hours=hours, actor="w", role="worker", at=asked, note="缺材料"
        )
        return History(deadlines.decide_request(asking, LIMITS, approve=True, actor="d", role="planner", at=approved))

    def held(self, asked: datetime, approved: datetime) -> History:
        """A hold asked for and approved (the clock stops)."""
        asking = deadlines.request_time(self.incident, hold=True, actor="w", role="worker", at=asked, note="等待")
        return History(deadlines.decide_request(asking, LIMITS, approve=True, actor="d", role="planner", at=approved))

    def released(self, at: datetime) -> History:
        """The hold released (the clock runs again)."""
        return History(deadlines.release_hold(self.incident, LIMITS, actor="d", role="planner", at=at))

    def rated(self, rating: int, at: datetime) -> History:
        """Closed (by the dispatcher, at `at`) and rated by the resident."""
        closed = advance(self.incident, "closed", actor="d", role="planner", at=at)
        return History(rate_incident(closed, rating, actor="resident", role="resident", at=at))
