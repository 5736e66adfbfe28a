"""Scores (考核) on hand-built histories: on-time response and resolution in working time, reopen, satisfaction."""

from __future__ import annotations

import pytest

from gridmap.errors import InvalidInput
from gridmap.incidents.deadlines import Stage
from gridmap.incidents.scores import ScoreBy, Timeliness, outcome, score, stage_visits
from gridmap.incidents.workflow import Status
from tests.incidents.histories import GRID_1, GRID_2, LIMITS, History, china

LATER = china(12, 31, 12)  # scored long after every step


def dispatched_tuesday() -> History:
    """Reported Tuesday 24 November 09:00, filed at 09:30, dispatched at 10:00 (handling due Friday 10:00)."""
    return (
        History.reported(1, china(11, 24, 9)).to("accepted", china(11, 24, 9, 30)).to("dispatched", china(11, 24, 10))
    )


def test_a_response_within_the_filing_limit_is_on_time_and_one_after_it_late() -> None:
    # Reported Tuesday 09:00: the filing stage's 2 working hours end at 11:00.
    on_time = History.reported(1, china(11, 24, 9)).to("accepted", china(11, 24, 10, 59))
    late = History.reported(2, china(11, 24, 9)).to("accepted", china(11, 24, 11, 1))
    rejected = History.reported(3, china(11, 24, 9)).to("rejected", china(11, 24, 10))
    assert outcome(on_time.incident, LIMITS, as_of=LATER).response is Timeliness.ON_TIME
    assert outcome(late.incident, LIMITS, as_of=LATER).response is Timeliness.LATE
    # Rejecting is a response too, but nothing was filed.
    rejected_outcome = outcome(rejected.incident, LIMITS, as_of=LATER)
    assert rejected_outcome.response is Timeliness.ON_TIME
    assert not rejected_outcome.filed
    assert outcome(on_time.incident, LIMITS, as_of=LATER).filed


def test_the_limit_is_counted_in_working_time_over_a_weekend() -> None:
    # Friday 17:00: half an hour that day, the other 1.5 h on Monday morning, 64 clock hours later.
    history = History.reported(1, china(11, 27, 17)).to("accepted", china(11, 30, 9, 55))
    assert outcome(history.incident, LIMITS, as_of=LATER).response is Timeliness.ON_TIME
    late = History.reported(2, china(11, 27, 17)).to("accepted", china(11, 30, 10, 5))
    assert outcome(late.incident, LIMITS, as_of=LATER).response is Timeliness.LATE


def test_an_adjusted_working_saturday_counts() -> None:
    # Saturday 10 October 2026 is worked (调休): Friday 17:00 + 2 h ends on that Saturday at 10:00.
    history = History.reported(1, china(10, 9, 17)).to("accepted", china(10, 12, 8, 40))
    assert outcome(history.incident, LIMITS, as_of=LATER).response is Timeliness.LATE


def test_a_response_still_awaited_is_scored_only_once_it_is_due() -> None:
    history = History.reported(1, china(11, 24, 9))
    assert outcome(history.incident, LIMITS, as_of=china(11, 24, 10)).response is Timeliness.NOT_DUE
    assert outcome(history.incident, LIMITS, as_of=china(11, 24, 11, 30)).response is Timeliness.LATE
    [before] = score([history.incident], LIMITS, by="grid", as_of=china(11, 24, 10))
    assert (before.reports, before.response_due, before.response_rate) == (1, 0, None)


def test_resolution_within_three_working_days_of_dispatch() -> None:
    # Dispatched Tuesday 10:00: 21 working hours end on Friday at 10:00.
    steps = (china(11, 24, 9, 30), china(11, 24, 10))
    on_time = History.reported(1, china(11, 24, 9)).handled(*steps, china(11, 27, 9, 50))
    late = History.reported(2, china(11, 24, 9)).handled(*steps, china(11, 27, 10, 30))
    assert outcome(on_time.incident, LIMITS, as_of=LATER).resolution is Timeliness.ON_TIME
    assert outcome(late.incident, LIMITS, as_of=LATER).resolution is Timeliness.LATE


def test_an_approved_extension_moves_the_due_time() -> None:
    dispatched = dispatched_tuesday()
    extended = dispatched.to("in_progress", china(11, 24, 11), role="worker").extended(
        4, china(11, 26, 9), china(11, 26, 10)
    )
    # Friday 10:00 + 4 working hours: Friday 16:00.
    resolved = extended.to("resolved", china(11, 27, 15), role="worker")
    assert outcome(resolved.incident, LIMITS, as_of=LATER).resolution is Timeliness.ON_TIME
    too_late = extended.to("resolved", china(11, 27, 16, 30), role="worker")
    assert outcome(too_late.incident, LIMITS, as_of=LATER).resolution is Timeliness.LATE


def test_a_held_clock_stands_still() -> None:
    dispatched = dispatched_tuesday()
    held = dispatched.held(china(11, 25, 8, 45), china(11, 25, 9)).released(china(11, 30, 9))
    resolved = held.to("in_progress", china(11, 30, 10), role="worker").to("resolved", china(11, 30, 17), role="worker")
    assert outcome(resolved.incident, LIMITS, as_of=LATER).resolution is Timeliness.ON_TIME
    # Still held long after the due time: not late, since the hold began before it.
    assert outcome(held.incident, LIMITS, as_of=china(11, 27, 12)).resolution is Timeliness.NOT_DUE
    late_hold = dispatched.held(china(11, 27, 11), china(11, 27, 11, 30))
    assert outcome(late_hold.incident, LIMITS, as_of=LATER).resolution is Timeliness.LATE


def test_handing_back_late_counts_against_the_resolution() -> None:
    dispatched = dispatched_tuesday()
    handed_back = dispatched.to("accepted", china(11, 30, 9), role="worker")  # after Friday 10:00
    redone = handed_back.to("dispatched", china(11, 30, 10)).to("in_progress", china(11, 30, 10), role="worker")
    resolved = redone.to("resolved", china(11, 30, 11), role="worker")
    assert outcome(resolved.incident, LIMITS, as_of=LATER).resolution is Timeliness.LATE


def test_a_failed_check_starts_the_handling_clock_again() -> None:
    # Resolved Wednesday 09:00; the check fails on Friday 09:00 (resolved -> in progress, not a transition).
    resolved = dispatched_tuesday().to("in_progress", china(11, 24, 10), role="worker")
    resolved = resolved.to("resolved", china(11, 25, 9), role="worker")
    redone = resolved.check_failed(china(11, 27, 9)).to("resolved", china(11, 30, 11), role="worker")
    visits = stage_visits(redone.incident, LIMITS)
    assert [visit.stage for visit in visits] == [
        Stage.FILE,
        Stage.DISPATCH,
        Stage.HANDLE,
        Stage.CHECK,
        Stage.HANDLE,
        Stage.CHECK,
    ]
    check, handling_again = visits[3], visits[4]
    assert (check.left_at, check.left_to) == (china(11, 27, 9), Status.IN_PROGRESS)
    # The second handling runs its own 3 working days from Friday 09:00: resolved on Monday, on time.
    assert (handling_again.entered_at, handling_again.left_at) == (china(11, 27, 9), china(11, 30, 11))
    assert handling_again.timeliness(LATER) is Timeliness.ON_TIME
    assert outcome(redone.incident, LIMITS, as_of=LATER).reopened


def test_an_unlinked_duplicate_is_timed_again_in_the_stage_it_returns_to() -> None:
    # Marked a duplicate at 09:30 (the first response), unlinked Wednesday 14:00, filed at 15:00 (due 16:00).
    marked = History.reported(1, china(11, 24, 9)).duplicate_of("S-0", china(11, 24, 9, 30))
    filed = marked.unlinked(china(11, 25, 14)).to("accepted", china(11, 25, 15))
    visits = stage_visits(filed.incident, LIMITS)
    assert [visit.stage for visit in visits] == [Stage.FILE, Stage.FILE, Stage.DISPATCH]
    reopened_filing = visits[1]
    assert (reopened_filing.entered_at, reopened_filing.left_to) == (china(11, 25, 14), Status.ACCEPTED)
    assert reopened_filing.due_at == china(11, 25, 16)
    assert reopened_filing.timeliness(LATER) is Timeliness.ON_TIME
    assert visits[2].entered_at == china(11, 25, 15)
    result = outcome(filed.incident, LIMITS, as_of=LATER)
    assert (result.response, result.filed) == (Timeliness.ON_TIME, True)


def test_scores_per_grid_with_reopen_and_satisfaction() -> None:
    steps = (china(11, 24, 9, 30), china(11, 24, 10))
    first = History.reported(1, china(11, 24, 9)).handled(*steps, china(11, 25, 9)).rated(5, china(11, 26, 9))
    reopened = (
        History.reported(2, china(11, 24, 9))
        .handled(*steps, china(11, 25, 9))
        .to("in_progress", china(11, 25, 10))  # the check failed
        .to("resolved", china(11, 25, 15), role="worker")
        .rated(2, china(11, 26, 9))
    )
    late = History.reported(3, china(11, 24, 9)).to("accepted", china(11, 24, 14))
    other = History.reported(4, china(11, 24, 9), grid=GRID_2, worker=None)
    rows = score([h.incident for h in (first, reopened, late, other)], LIMITS, by=ScoreBy.GRID, as_of=LATER)
    assert [row.key for row in rows] == [GRID_1, GRID_2]
    grid_1, grid_2 = rows
    assert (grid_1.reports, grid_1.filed, grid_1.response_due, grid_1.responded_on_time) == (3, 3, 3, 2)
    assert grid_1.response_rate == pytest.approx(2 / 3)
    # The late-filed one is not dispatched: two resolutions due, both on time.
    assert (grid_1.resolution_due, grid_1.resolved_on_time, grid_1.resolution_rate) == (2, 2, 1.0)
    assert (grid_1.resolved, grid_1.reopened, grid_1.reopen_rate) == (2, 1, 0.5)
    assert (grid_1.rated, grid_1.satisfied, grid_1.satisfaction_rate) == (2, 1, 0.5)
    # Never responded and long past due: late; nothing resolved or rated, so those rates are empty.
    assert (grid_2.reports, grid_2.response_due, grid_2.response_rate) == (1, 1, 0.0)
    assert (grid_2.resolution_rate, grid_2.reopen_rate, grid_2.satisfaction_rate) == (None, None, None)
    by_worker = score([h.incident for h in (first, other)], LIMITS, by="worker", as_of=LATER)
    assert [row.key for row in by_worker] == ["张发敏", None]


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(InvalidInput, match="grid, worker, community, category"):
        score([], LIMITS, by="mileage", as_of=LATER)
