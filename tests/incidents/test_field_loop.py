"""The field loop's pure rules: tasks asked and answered, photos numbered on, the after-photo and check rules by
category, unlinking a duplicate, and trails with these entries replaying to the same state; duplicate candidates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gridmap.errors import Conflict, Forbidden, InvalidInput
from gridmap.incidents.duplicates import DuplicateRules, duplicate_candidates, text_similarity
from gridmap.incidents.field_loop import (
    RULE_AFTER_PHOTO,
    RULE_CHECK,
    RuleRefused,
    add_photos,
    answer_task,
    check_step,
    request_task,
    unlink,
)
from gridmap.incidents.intake import advance
from gridmap.incidents.model import Channel, FieldTask, Incident, PhotoKind
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.incidents.workflow import ActorRole, AuditAction, Status, replay, report

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LIGHTS = default_taxonomy().get("public_facilities")
CHICKENS = default_taxonomy().get("noise_livestock")


def incident(
    *, category: str = "public_facilities", text: str = "路灯不亮", at: datetime = T0, lon: float = 118.0
) -> Incident:
    state, entry = report(actor="resident", role=ActorRole.RESIDENT, at=at)
    return Incident(
        id=f"i-{lon}-{at.isoformat()}-{category}",
        category=category,
        description=text,
        lon=lon,
        lat=24.0,
        channel=Channel.APP,
        reporter="resident",
        state=state,
        audit=(entry,),
    )


def steps(start: Incident, *statuses: str, minutes: int = 1) -> Incident:
    done = start
    for number, status in enumerate(statuses, start=1):
        at = done.state.updated_at + timedelta(minutes=minutes * number)
        done = advance(done, status, actor="规划员", role=ActorRole.PLANNER, at=at)
    return done


def later(done: Incident, minutes: int = 5) -> datetime:
    return done.state.updated_at + timedelta(minutes=minutes)


def test_a_verification_is_asked_once_answered_by_staff_and_replays() -> None:
    asked = request_task(incident(), FieldTask.VERIFY, actor="规划员", role=ActorRole.PLANNER, at=T0)
    assert asked.field_task is FieldTask.VERIFY
    with pytest.raises(Conflict):
        request_task(asked, FieldTask.VERIFY, actor="规划员", role=ActorRole.PLANNER, at=T0)
    with pytest.raises(Forbidden):
        request_task(incident(), FieldTask.VERIFY, actor="张发敏", role=ActorRole.WORKER, at=T0)
    with pytest.raises(InvalidInput):
        answer_task(asked, AuditAction.VERIFY_REFUTE, actor="张发敏", role=ActorRole.WORKER, at=later(asked))
    verified = answer_task(asked, AuditAction.VERIFY_CONFIRM, actor="张发敏", role=ActorRole.WORKER, at=later(asked))
    assert (verified.field_task, verified.status) == (None, Status.REPORTED)
    with pytest.raises(Conflict):  # a check is for resolved incidents
        request_task(verified, FieldTask.CHECK, actor="规划员", role=ActorRole.PLANNER, at=later(verified))
    assert replay(list(verified.audit)) == verified.state


def test_resolving_needs_an_after_photo_since_the_work_last_started() -> None:
    working = steps(incident(), "accepted", "dispatched", "in_progress")
    with pytest.raises(RuleRefused) as refused:
        check_step(working, "resolved", LIGHTS)
    assert refused.value.rule == RULE_AFTER_PHOTO and refused.value.members == {"rule": RULE_AFTER_PHOTO}
    check_step(working, "resolved", CHICKENS)  # no rule for this category
    check_step(working, "resolved", None)
    before = add_photos(working, kind=PhotoKind.BEFORE, urls=["/p/1"], actor="张发敏", role="worker", at=later(working))
    with pytest.raises(RuleRefused):
        check_step(before, "resolved", LIGHTS)
    after = add_photos(
        before, kind=PhotoKind.AFTER, urls=["/p/2", "/p/3"], actor="张发敏", role="worker", at=later(before)
    )
    assert [(p.number, p.kind) for p in after.photos] == [
        (1, PhotoKind.BEFORE),
        (2, PhotoKind.AFTER),
        (3, PhotoKind.AFTER),
    ]
    assert after.photo_urls == ("/p/1", "/p/2", "/p/3") and after.audit[-1].note == "2 after photos"
    check_step(after, "resolved", LIGHTS)
    resolved = steps(after, "resolved")
    failed = answer_task(
        resolved, AuditAction.CHECK_FAIL, actor="张发敏", role="worker", at=later(resolved), note="又坏"
    )
    assert failed.status is Status.IN_PROGRESS
    with pytest.raises(RuleRefused):  # the photo of the failed fix does not count again
        check_step(failed, "resolved", LIGHTS)
    assert replay(list(failed.audit)) == failed.state


def test_closing_needs_a_passed_check_since_the_last_resolution() -> None:
    resolved = steps(incident(), "accepted", "dispatched", "in_progress", "resolved")
    with pytest.raises(RuleRefused) as refused:
        check_step(resolved, "closed", LIGHTS)
    assert refused.value.rule == RULE_CHECK and refused.value.http_status == 409
    check_step(resolved, "closed", CHICKENS)
    asked = request_task(resolved, FieldTask.CHECK, actor="规划员", role=ActorRole.PLANNER, at=later(resolved))
    passed = answer_task(asked, AuditAction.CHECK_PASS, actor="张发敏", role=ActorRole.WORKER, at=later(asked))
    assert passed.field_task is None
    check_step(passed, "closed", LIGHTS)
    reopened = steps(passed, "in_progress", "resolved")
    with pytest.raises(RuleRefused):  # that check was of an earlier fix
        check_step(reopened, "closed", LIGHTS)


def test_a_duplicate_is_unlinked_back_to_where_it_was_marked() -> None:
    filed = steps(incident(), "accepted")
    marked = advance(filed, "duplicate", actor="规划员", role="planner", at=later(filed), duplicate_of="original")
    with pytest.raises(Forbidden):
        unlink(marked, actor="张发敏", role=ActorRole.WORKER, at=later(marked))
    unlinked = unlink(marked, actor="规划员", role=ActorRole.PLANNER, at=later(marked), note="不是同一处")
    assert (unlinked.status, unlinked.state.duplicate_of) == (Status.ACCEPTED, None)
    with pytest.raises(Conflict):
        unlink(unlinked, actor="规划员", role=ActorRole.PLANNER, at=later(unlinked))
    assert replay(list(unlinked.audit)) == unlinked.state


def test_duplicate_candidates_are_earlier_open_same_category_near_and_alike() -> None:
    rules = DuplicateRules()
    new = incident(text="小区门口路灯坏了不亮", at=T0 + timedelta(days=2), lon=118.0)
    ten_metres = 10 / (111_320 * 0.9135)  # degrees of longitude at 24° N
    original = incident(text="路灯不亮", lon=118.0 + ten_metres)
    others = [
        original,
        incident(text="路灯不亮", lon=118.0 + 8 * ten_metres),  # 80 m away
        incident(text="路灯不亮", category="noise_livestock", lon=118.0 + 0.5 * ten_metres),
        incident(text="楼道堆满纸箱", lon=118.0 + 0.2 * ten_metres),
        incident(text="路灯不亮", at=T0 - timedelta(days=6), lon=118.0 + 0.3 * ten_metres),  # 8 days before
        incident(text="路灯不亮", at=T0 + timedelta(days=3), lon=118.0 + 0.4 * ten_metres),  # after the report
        replace(
            incident(text="路灯不亮", lon=118.0 + 0.6 * ten_metres), state=replace(original.state, status=Status.CLOSED)
        ),
    ]
    found = duplicate_candidates(new, others, rules)
    assert [c.incident.id for c in found] == [original.id]
    assert found[0].distance_m == pytest.approx(10, abs=0.2) and found[0].similarity >= rules.min_similarity
    assert text_similarity("邻居家的鸡", "路灯不亮") < 20 and text_similarity("", "任何") == 100
    with pytest.raises(InvalidInput):
        DuplicateRules(distance_m=0)
