"""Duplicate candidates: open incidents a new report may repeat, for the dispatcher to mark when filing.

An earlier incident is a candidate when it is still open, of the same category, reported within `days`
before the new one and within `distance_m` of it, and its text is similar (rapidfuzz's weighted ratio of the
two descriptions at least `min_similarity` of 100; a report without words passes on place and time alone).
The store finds the incidents near in place and time; the choice among them is made here, purely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from rapidfuzz import fuzz, utils

from gridmap.errors import InvalidInput
from gridmap.geo.metric import ground_distances_m
from gridmap.incidents.model import Incident
from gridmap.incidents.workflow import OPEN_STATUSES, Status

# Statuses a report may still be marked a duplicate from (the workflow's), i.e. whose candidates are worth showing.
MARKABLE: frozenset[Status] = frozenset({Status.REPORTED, Status.ACCEPTED})


@dataclass(frozen=True)
class DuplicateRules:
    """How near in place, time and words an open incident must be to be offered as the original of a report."""

    distance_m: float = 50.0
    days: float = 7.0
    min_similarity: float = 50.0

    def __post_init__(self) -> None:
        if not (self.distance_m > 0 and self.days > 0 and 0 <= self.min_similarity <= 100):
            msg = "duplicate rules need a distance and days above 0 and a similarity from 0 to 100"
            raise InvalidInput(msg)

    @property
    def window(self) -> timedelta:
        """How long before a report an original may have been reported."""
        return timedelta(days=self.days)


@dataclass(frozen=True)
class DuplicateCandidate:
    """An open incident a report may repeat: how far apart they are, and how alike their words (0-100)."""

    incident: Incident
    distance_m: float
    similarity: float


def text_similarity(first: str, second: str) -> float:
    """How alike two descriptions are, 0-100 (case and punctuation ignored); 100 when either says nothing."""
    if not first.strip() or not second.strip():
        return 100.0
    return float(fuzz.WRatio(first, second, processor=utils.default_process))


def duplicate_candidates(
    report: Incident, nearby: Sequence[Incident], rules: DuplicateRules
) -> list[DuplicateCandidate]:
    """The incidents of `nearby` that `report` may repeat under `rules`, nearest first."""
    earlier = [
        other
        for other in nearby
        if other.id != report.id
        and other.status in OPEN_STATUSES
        and other.category == report.category
        and report.state.reported_at - rules.window <= other.state.reported_at <= report.state.reported_at
    ]
    if not earlier:
        return []
    metres = ground_distances_m(report.lon, report.lat, [o.lon for o in earlier], [o.lat for o in earlier])
    found = []
    for other, distance in zip(earlier, metres, strict=True):
        similarity = text_similarity(report.description, other.description)
        if distance <= rules.distance_m and similarity >= rules.min_similarity:
            found.append(DuplicateCandidate(other, float(distance), similarity))
    return sorted(found, key=lambda c: (c.distance_m, -c.similarity, c.incident.id))
