"""The incident workflow: every (from, to) pair, roles, ratings, and random walks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.errors import Conflict, Forbidden, InvalidInput
from gridmap.incidents.workflow import (
    FINAL_STATUSES,
    PIN_MOVABLE,
    ROLES_FOR_STATUS,
    TRANSITIONS,
    ActorRole,
    AuditAction,
    AuditEntry,
    IncidentState,
    Status,
    allowed_next,
    rate,
    record_move,
    replay,
    report,
    transition,
)

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)

EXPECTED = {
    (Status.REPORTED, Status.ACCEPTED),
    (Status.REPORTED, Status.REJECTED),
    (Status.REPORTED, Status.DUPLICATE),
    (Status.ACCEPTED, Status.DISPATCHED),
    (Status.ACCEPTED, Status.REJECTED),
    (Status.ACCEPTED, Status.DUPLICATE),
    (Status.DISPATCHED, Status.IN_PROGRESS),
    (Status.DISPATCHED, Status.ACCEPTED),
    (Status.IN_PROGRESS, Status.RESOLVED),
    (Status.RESOLVED, Status.CLOSED),
    (Status.RESOLVED, Status.IN_PROGRESS),
}
PAIRS = [(a, b) for a in Status for b in Status]


def state_at(status: Status) -> IncidentState:
    return IncidentState(status=status, reported_at=T0, updated_at=T0)


def step(state: IncidentState, to: Status, role: ActorRole = ActorRole.ADMIN) -> tuple[IncidentState, AuditEntry]:
    return transition(state, to, actor="张发敏", role=role, at=T0 + timedelta(hours=1), note="ok", duplicate_of="I-1")


def test_the_transition_table_is_the_documented_one() -> None:
    assert {(a, b) for a, nexts in TRANSITIONS.items() for b in nexts} == EXPECTED
    assert {Status.CLOSED, Status.REJECTED, Status.DUPLICATE} == FINAL_STATUSES


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair_is_allowed_or_refused_with_the_next_steps(source: Status, target: Status) -> None:
    state = state_at(source)
    if (source, target) in EXPECTED:
        new_state, entry = step(state, target)
        assert new_state.status is target
        assert entry.from_status is source
        assert entry.to_status is target
        assert entry.action is AuditAction.TRANSITION
        assert new_state.updated_at == entry.at
    else:
        with pytest.raises(Conflict) as caught:
            step(state, target)
        detail = caught.value.detail
        assert f"from {source} to {target}" in detail
        if allowed_next(source):
            assert all(str(s) in detail for s in allowed_next(source))
        else:
            assert "final" in detail


@pytest.mark.parametrize(("source", "target"), sorted(EXPECTED))
@pytest.mark.parametrize("role", list(ActorRole))
def test_roles_for_each_allowed_step(source: Status, target: Status, role: ActorRole) -> None:
    if role in ROLES_FOR_STATUS[target]:
        assert step(state_at(source), target, role)[0].status is target
    else:
        with pytest.raises(Forbidden, match=str(target)):
            step(state_at(source), target, role)


def test_residents_and_viewers_may_not_move_incidents_and_only_dispatchers_dispatch_and_close() -> None:
    for target in ROLES_FOR_STATUS:
        assert ActorRole.RESIDENT not in ROLES_FOR_STATUS[target]
        assert ActorRole.VIEWER not in ROLES_FOR_STATUS[target]
    assert ROLES_FOR_STATUS[Status.DISPATCHED] == {ActorRole.PLANNER, ActorRole.ADMIN}
    assert ROLES_FOR_STATUS[Status.CLOSED] == {ActorRole.PLANNER, ActorRole.ADMIN}
    assert ActorRole.WORKER in ROLES_FOR_STATUS[Status.RESOLVED]


def test_reject_needs_a_note_and_duplicate_needs_the_original() -> None:
    with pytest.raises(InvalidInput, match="note"):
        transition(state_at(Status.REPORTED), "rejected", actor="a", role="worker", at=T0, note="  ")
    with pytest.raises(InvalidInput, match="duplicate_of"):
        transition(state_at(Status.REPORTED), "duplicate", actor="a", role="worker", at=T0)
    state, entry = transition(
        state_at(Status.REPORTED), "duplicate", actor="a", role="worker", at=T0, duplicate_of="I-9"
    )
    assert state.duplicate_of == "I-9"
    assert entry.duplicate_of == "I-9"


def test_unknown_status_role_naive_time_and_going_back_in_time_are_invalid() -> None:
    with pytest.raises(InvalidInput, match="unknown incident status 'done'"):
        transition(state_at(Status.REPORTED), "done", actor="a", role="worker", at=T0)
    with pytest.raises(InvalidInput, match="unknown role 'mayor'"):
        transition(state_at(Status.REPORTED), "accepted", actor="a", role="mayor", at=T0)
    with pytest.raises(InvalidInput, match="time zone"):
        transition(state_at(Status.REPORTED), "accepted", actor="a", role="worker", at=datetime(2026, 10, 5))
    with pytest.raises(InvalidInput, match="before the incident's last change"):
        transition(state_at(Status.REPORTED), "accepted", actor="a", role="worker", at=T0 - timedelta(seconds=1))
    with pytest.raises(InvalidInput, match="actor"):
        transition(state_at(Status.REPORTED), "accepted", actor=" ", role="worker", at=T0)


def test_report_makes_the_first_audit_entry_and_viewers_cannot_report() -> None:
    state, entry = report(actor="居民", role="resident", at=T0, note="随手拍")
    assert state.status is Status.REPORTED
    assert (entry.action, entry.from_status, entry.to_status, entry.note) == (
        AuditAction.REPORT,
        None,
        Status.REPORTED,
        "随手拍",
    )
    with pytest.raises(Forbidden, match="viewer"):
        report(actor="v", role="viewer", at=T0)


@pytest.mark.parametrize("status", list(Status))
def test_only_a_closed_incident_can_be_rated(status: Status) -> None:
    if status is Status.CLOSED:
        state, entry = rate(state_at(status), 5, actor="居民", role="resident", at=T0)
        assert state.rating == 5
        assert entry.action is AuditAction.RATE
        assert entry.rating == 5
    else:
        with pytest.raises(Conflict, match=f"this one is {status}"):
            rate(state_at(status), 5, actor="居民", role="resident", at=T0)


def test_rating_is_1_to_5_once_and_by_residents() -> None:
    closed = state_at(Status.CLOSED)
    for bad in (0, 6, True, 3.5):
        with pytest.raises(InvalidInput, match="1 to 5"):
            rate(closed, bad, actor="r", role="resident", at=T0)  # type: ignore[arg-type]
    with pytest.raises(Forbidden, match="only the residents"):
        rate(closed, 4, actor="w", role="worker", at=T0)
    rated, _ = rate(closed, 4, actor="r", role="resident", at=T0)
    with pytest.raises(Conflict, match="already rated"):
        rate(rated, 5, actor="r", role="resident", at=T0)


def test_the_happy_path_replays_from_its_audit_trail() -> None:
    state, first = report(actor="居民", role="resident", at=T0)
    trail = [first]
    steps = [
        (Status.ACCEPTED, ActorRole.WORKER),
        (Status.DISPATCHED, ActorRole.PLANNER),
        (Status.IN_PROGRESS, ActorRole.WORKER),
        (Status.RESOLVED, ActorRole.WORKER),
        (Status.CLOSED, ActorRole.PLANNER),
    ]
    for hours, (target, role) in enumerate(steps, start=1):
        state, entry = transition(state, target, actor="x", role=role, at=T0 + timedelta(hours=hours))
        trail.append(entry)
    state, entry = rate(state, 5, actor="居民", role="resident", at=T0 + timedelta(days=1))
    trail.append(entry)
    assert replay(trail) == state
    with pytest.raises(Conflict):
        replay([trail[0], trail[2]])  # reported -> dispatched skips acceptance


ROLES = st.sampled_from(list(ActorRole))
TARGETS = st.sampled_from(list(Status))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TARGETS, ROLES, st.sampled_from(["transition", "rate", "move"])), max_size=30))
def test_random_walks_never_reach_an_illegal_state(moves: list[tuple[Status, ActorRole, str]]) -> None:
    state, entry = report(actor="r", role="resident", at=T0)
    trail = [entry]
    for index, (target, role, action) in enumerate(moves, start=1):
        at = T0 + timedelta(minutes=index)
        before = state
        try:
            if action == "rate":
                state, entry = rate(state, 3, actor="r", role=role, at=at)
            elif action == "move":
                state, entry = record_move(state, actor="r", role=role, at=at)
            else:
                state, entry = transition(state, target, actor="a", role=role, at=at, note="n", duplicate_of="I-1")
        except (Conflict, Forbidden):
            assert state == before  # a refused step changes nothing
            continue
        trail.append(entry)
        assert entry.from_status is before.status
        if entry.action is AuditAction.TRANSITION:
            assert state.status in TRANSITIONS[before.status]
            assert role in ROLES_FOR_STATUS[state.status]
        elif entry.action is AuditAction.MOVE:
            assert state.status is before.status
            assert before.status in PIN_MOVABLE
        else:
            assert before.status is Status.CLOSED and before.rating is None and state.rating == 3
        if state.rating is not None:
            assert state.status is Status.CLOSED
    assert replay(trail) == state
