"""Workflow trails for sample incidents: who acts, when, and how each one ends.

Every step goes through the workflow's own `transition` and `rate` (what `intake.advance` and
`intake.rate_incident` call, here without rebuilding the whole incident at each step, which would triple
the time for 200,000), so each generated trail is one the workflow allows and `workflow.replay` accepts.

Delays are log-normal (most short, a few long) with medians that are our assumptions, chosen so that most
incidents are resolved within a day, as Hubin community's "over 90 % handled and answered at once"
(DOMAIN.md) suggests for the quick kinds, while elevator installations and parking spaces take weeks.
Staff act between 07:30 and 21:30 China time; a step due at night waits for the morning. Steps due after
`now` have not happened yet: those incidents stay open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.workflow import ActorRole, AuditEntry, IncidentState, Status, rate, transition

CHINA_OFFSET_S = 8 * 3600  # Asia/Shanghai has kept UTC+8 without daylight saving since 1991
DAY_S = 86_400
_WORK_START_S = 7.5 * 3600
_WORK_END_S = 21.5 * 3600


class Fate(StrEnum):
    """How an incident's handling goes (unless `now` comes first)."""

    HANDLED = "handled"  # accepted, dispatched, started, resolved, closed, perhaps rated
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    HANDED_BACK = "handed_back"  # the worker hands it back (another grid's), then it is handled
    REOPENED = "reopened"  # the community's check fails once, then it is handled
    STALLED = "stalled"  # accepted and dispatched, then waits (a backlog that stays open)


FATE_SHARES: dict[Channel, dict[Fate, float]] = {
    # Residents' photos and calls are more often out of scope or repeats than what workers see on patrol.
    Channel.APP: {Fate.REJECTED: 0.06, Fate.DUPLICATE: 0.05},
    Channel.HOTLINE: {Fate.REJECTED: 0.05, Fate.DUPLICATE: 0.03},
    Channel.VISIT: {Fate.REJECTED: 0.04, Fate.DUPLICATE: 0.02},
    Channel.PATROL: {Fate.REJECTED: 0.01, Fate.DUPLICATE: 0.01},
}
SHARED_FATES: dict[Fate, float] = {Fate.HANDED_BACK: 0.03, Fate.REOPENED: 0.03, Fate.STALLED: 0.02}

# Median hours of each step (log-normal, sigma about 0.9): ours, not measured.
ACCEPT_H: dict[Channel, float] = {Channel.APP: 0.75, Channel.HOTLINE: 0.3, Channel.VISIT: 0.2, Channel.PATROL: 0.05}
DISPATCH_H = 0.4
START_H = 1.0
CLOSE_H = 8.0
RATE_H = 24.0
RESOLVE_H: dict[str, float] = {
    "parking_vending": 2.0,
    "epidemic_prevention": 3.0,
    "living_environment": 4.0,
    "noise_livestock": 5.0,
    "customs": 6.0,
    "other": 8.0,
    "public_facilities": 10.0,
    "neighbour_dispute": 16.0,
    "illegal_construction": 20.0,
    "parking_spaces": 36.0,
    "elevator_installation": 300.0,
}
RATED_SHARE = 0.55  # of closed incidents reported by residents
RATINGS = np.array([1, 2, 3, 4, 5])
RATING_WEIGHTS_QUICK = np.array([0.01, 0.02, 0.07, 0.30, 0.60])  # resolved within a day
RATING_WEIGHTS_SLOW = np.array([0.05, 0.08, 0.20, 0.35, 0.32])

REJECT_NOTES = (
    "经核实,情况不属实",
    "属物业服务范围,已转物业公司处理",
    "不属社区职责,已告知居民拨打12345",
    "信息不全无法核实,已电话联系反映人",
)
RESOLVE_NOTES: dict[str, str] = {
    "living_environment": "已清理,环境恢复整洁",
    "parking_vending": "已劝离,通道畅通",
    "public_facilities": "已报修,维修完成",
    "neighbour_dispute": "已上门调解,双方达成一致",
    "noise_livestock": "已上门劝导,噪音停止",
    "epidemic_prevention": "已上门核查并登记",
    "customs": "已上门宣传移风易俗,丧事简办",
    "parking_spaces": "已协调物业划定车位",
    "elevator_installation": "已召开居民议事会,达成加装方案",
    "illegal_construction": "已制止,责令拆除",
}
HAND_BACK_NOTE = "不在本网格,退回重新派单"
REOPEN_NOTE = "回访居民,问题未解决,重新处理"

# Columns of the random draws each incident gets (`draw_steps`).
_ACCEPT, _DISPATCH, _START, _RESOLVE, _CLOSE, _RATE, _EXTRA, _MORNING, _CHOICE, _RATED = range(10)
_STEP_COLUMNS = 10


@dataclass(frozen=True)
class Staff:
    """Who acts on an incident: the grid's worker and the community's dispatcher (a planner)."""

    worker: str
    dispatcher: str


def draw_fates(channels: list[Channel], rng: np.random.Generator) -> list[Fate]:
    """A fate per incident, with the shares of `FATE_SHARES` and `SHARED_FATES`."""
    roll = rng.random(len(channels))
    fates: list[Fate] = []
    for channel, value in zip(channels, roll.tolist(), strict=True):
        shares = {**FATE_SHARES[channel], **SHARED_FATES}
        fate, bound = Fate.HANDLED, 0.0
        for candidate, share in shares.items():
            bound += share
            if value < bound:
                fate = candidate
                break
        fates.append(fate)
    return fates


def draw_steps(count: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Per incident, standard-normal draws for the step delays and uniforms for mornings and choices."""
    draws = rng.standard_normal((count, _STEP_COLUMNS))
    draws[:, _MORNING:] = rng.random((count, _STEP_COLUMNS - _MORNING))
    return draws


def handle(
    incident: Incident,
    *,
    fate: Fate,
    staff: Staff,
    draws: npt.NDArray[np.float64],
    now_s: float,
    duplicate_of: str | None = None,
) -> Incident:
    """The incident after the steps its fate brings before `now_s` (Unix seconds)."""
    trail = _Trail(incident, now_s, float(draws[_MORNING]))
    worker, dispatcher = staff.worker, staff.dispatcher
    accept_h = ACCEPT_H[incident.channel]
    if fate is Fate.DUPLICATE and duplicate_of is not None:
        trail.step(accept_h, draws[_ACCEPT], Status.DUPLICATE, worker, ActorRole.WORKER, duplicate_of=duplicate_of)
        return trail.incident()
    if fate is Fate.REJECTED and draws[_CHOICE] < 0.5:
        # Refused at once, without accepting it first.
        trail.step(accept_h, draws[_ACCEPT], Status.REJECTED, worker, ActorRole.WORKER, _reject_note(draws))
        return trail.incident()
    steps: list[tuple[float, float, Status, str, ActorRole, str]] = [
        (accept_h, draws[_ACCEPT], Status.ACCEPTED, worker, ActorRole.WORKER, ""),
    ]
    if fate is Fate.REJECTED:
        note = _reject_note(draws)
        steps.append((DISPATCH_H, draws[_DISPATCH], Status.REJECTED, dispatcher, ActorRole.PLANNER, note))
    else:
        steps.append((DISPATCH_H, draws[_DISPATCH], Status.DISPATCHED, dispatcher, ActorRole.PLANNER, f"派给{worker}"))
        if fate is Fate.HANDED_BACK:
            steps.append((1.0, draws[_EXTRA], Status.ACCEPTED, worker, ActorRole.WORKER, HAND_BACK_NOTE))
            steps.append((DISPATCH_H, draws[_DISPATCH], Status.DISPATCHED, dispatcher, ActorRole.PLANNER, "重新派单"))
        if fate is not Fate.STALLED:
            resolve_h = RESOLVE_H.get(incident.category, RESOLVE_H["other"])
            resolved = RESOLVE_NOTES.get(incident.category, "已处理完毕")
            steps.append((START_H, draws[_START], Status.IN_PROGRESS, worker, ActorRole.WORKER, ""))
            steps.append((resolve_h, draws[_RESOLVE], Status.RESOLVED, worker, ActorRole.WORKER, resolved))
            if fate is Fate.REOPENED:
                steps.append((CLOSE_H, draws[_CLOSE], Status.IN_PROGRESS, dispatcher, ActorRole.PLANNER, REOPEN_NOTE))
                steps.append((resolve_h / 2, draws[_EXTRA], Status.RESOLVED, worker, ActorRole.WORKER, resolved))
            steps.append((CLOSE_H, draws[_CLOSE], Status.CLOSED, dispatcher, ActorRole.PLANNER, "已回访,居民知晓"))
    for median_h, draw, status, actor, role, note in steps:
        if not trail.step(median_h, draw, status, actor, role, note):
            return trail.incident()
    if trail.state.status is Status.CLOSED and incident.channel is not Channel.PATROL and draws[_RATED] < RATED_SHARE:
        trail.rate(_rating(trail, draws), incident.reporter, draws[_RATE])
    return trail.incident()


def _reject_note(draws: npt.NDArray[np.float64]) -> str:
    return REJECT_NOTES[int(draws[_CHOICE] * 1000) % len(REJECT_NOTES)]


def _rating(trail: _Trail, draws: npt.NDArray[np.float64]) -> int:
    """A rating drawn by how quickly the incident was resolved."""
    resolved = next(e.at for e in trail.entries if e.to_status is Status.RESOLVED)
    quick = (resolved - trail.state.reported_at).total_seconds() <= DAY_S
    weights = RATING_WEIGHTS_QUICK if quick else RATING_WEIGHTS_SLOW
    index = int(np.searchsorted(np.cumsum(weights), float(draws[_RATED]) / RATED_SHARE, side="right"))
    return int(RATINGS[min(index, len(RATINGS) - 1)])


class _Trail:
    """An incident's state and audit entries as steps are taken, each through the workflow's own checks."""

    def __init__(self, incident: Incident, now_s: float, morning: float) -> None:
        self.start = incident
        self.state: IncidentState = incident.state
        self.entries: list[AuditEntry] = list(incident.audit)
        self.clock = _Clock(incident.state.reported_at.timestamp(), now_s, morning)

    def step(
        self,
        median_h: float,
        draw: float,
        status: Status,
        actor: str,
        role: ActorRole,
        note: str = "",
        *,
        duplicate_of: str | None = None,
    ) -> bool:
        """Take one workflow step after a drawn delay; False when it would come after `now`."""
        at = self.clock.after(median_h, draw)
        if at is None:
            return False
        self.state, entry = transition(
            self.state, status, actor=actor, role=role, at=at, note=note, duplicate_of=duplicate_of
        )
        self.entries.append(entry)
        return True

    def rate(self, rating: int, reporter: str, draw: float) -> None:
        """The reporter's rating after a drawn delay (at any hour), unless that comes after `now`."""
        at = self.clock.after(RATE_H, draw, staff_hours=False)
        if at is not None:
            self.state, entry = rate(self.state, rating, actor=reporter, role=ActorRole.RESIDENT, at=at)
            self.entries.append(entry)

    def incident(self) -> Incident:
        """The incident with the state and trail reached."""
        if len(self.entries) == len(self.start.audit):
            return self.start
        return replace(self.start, state=self.state, audit=tuple(self.entries))


class _Clock:
    """The time of the next step: log-normal delays, staff hours, and nothing after `now`."""

    def __init__(self, reported_s: float, now_s: float, morning: float) -> None:
        self.last_s = reported_s
        self.now_s = now_s
        self.morning_s = morning * 3600.0  # how far into the first hour of work a night's backlog is taken up

    def after(self, median_h: float, draw: float, *, staff_hours: bool = True) -> datetime | None:
        """The time a step with this median delay happens, or None when it would come after `now`."""
        due = self.last_s + max(60.0, median_h * 3600.0 * math.exp(0.9 * float(draw)))
        if staff_hours:
            local = (due + CHINA_OFFSET_S) % DAY_S
            if local < _WORK_START_S:
                due += _WORK_START_S - local + self.morning_s
            elif local >= _WORK_END_S:
                due += DAY_S - local + _WORK_START_S + self.morning_s
        due = float(int(due))
        if due >= self.now_s:
            return None
        self.last_s = due
        return datetime.fromtimestamp(due, UTC)
