"""Who may see which incident, and how long a resident's contact details and photos are kept after closing.

Pure rules the services apply: an `IncidentScope` says which incidents a member of staff reaches (a worker
their grids, a dispatcher their community or street when scoped), and a `RetentionPolicy` when an
incident's personal data is due for deletion, counted from the step that closed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gridmap.errors import InvalidInput
from gridmap.incidents.model import Incident
from gridmap.incidents.workflow import FINAL_STATUSES, AuditAction

DEFAULT_RETENTION_DAYS = 180


@dataclass(frozen=True)
class IncidentScope:
    """The incidents one member of staff may read and act on; an incident in any of the parts is in scope.

    A worker reaches the incidents routed to the grids they work (`grid_codes`) and those routed to them
    (`worker`); a dispatcher scoped to a community or street reaches the incidents whose community or grid
    code starts with `code_prefix`. Staff without a scope are given None instead of a scope.
    """

    grid_codes: frozenset[str] = frozenset()
    worker: str | None = None
    code_prefix: str | None = None

    def covers(self, incident: Incident) -> bool:
        """Whether the incident is within this scope."""
        if incident.grid_code is not None and incident.grid_code in self.grid_codes:
            return True
        if self.worker is not None and incident.worker == self.worker:
            return True
        prefix = self.code_prefix
        codes = (incident.community_code, incident.grid_code)
        return prefix is not None and any(code is not None and code.startswith(prefix) for code in codes)


def closed_at(incident: Incident) -> datetime | None:
    """When the incident reached its final status (closed, rejected, duplicate); None while it is open."""
    if incident.status not in FINAL_STATUSES:
        return None
    closing = [
        entry.at
        for entry in incident.audit
        if entry.action is AuditAction.TRANSITION and entry.to_status is incident.status
    ]
    return max(closing) if closing else incident.state.updated_at


@dataclass(frozen=True)
class RetentionPolicy:
    """Days a closed incident's contact details and photos are kept, by default and per category."""

    days: int = DEFAULT_RETENTION_DAYS
    by_category: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for what, days in (("the default", self.days), *self.by_category.items()):
            if days < 0:
                msg = f"retention days for {what} is {days}; give 0 or more days"
                raise InvalidInput(msg)

    def keep_for(self, category: str) -> timedelta:
        """How long after closing an incident of `category` keeps its personal data."""
        return timedelta(days=self.by_category.get(category, self.days))

    def due(self, category: str, closed: datetime, now: datetime) -> bool:
        """Whether personal data of an incident of `category` closed at `closed` is to be deleted at `now`."""
        return closed + self.keep_for(category) <= now
