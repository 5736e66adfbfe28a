"""The field loop on one incident (docs/incidents.md): a dispatcher asks the grid worker to verify a report before
filing (核实) or to check a fix before closing (核查); the worker answers; staff add photos before or after the fix;
a dispatcher unlinks a wrongly marked duplicate. And the reporter's follow-up of their own report, by its key.

Each staff route answers the incident as `GET /incidents/{id}` does; a step a category's rule refuses (resolving
without an after photo, closing without a passed check) is a 409 naming the rule (`rule` in the problem).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import IncidentRulesDep, SettingsDep, Staff, StaffDep, StoreDep
from gridmap.api.incident_answers import Incident, IncidentFollowUp
from gridmap.api.incident_staff import staff_body
from gridmap.api.report_form import PHOTO_FIELD, read_report_form, refuse_declared_length
from gridmap.api.routers.incidents import Reason, ReporterKeyHeader
from gridmap.incidents import model
from gridmap.incidents.model import FieldTask, PhotoKind
from gridmap.incidents.photos import PhotoLimits, clean_photos
from gridmap.incidents.workflow import Status
from gridmap.services import field_loop
from gridmap.services import incidents as incident_service
from gridmap.services.incident_clock import IncidentRules
from gridmap.store.interface import BoundaryStore

router = APIRouter(route_class=AnswerRoute, tags=["incidents"])

IncidentId = Annotated[str, Path(max_length=36)]
Note = Annotated[str, Field(max_length=2000)]
STEP_ERRORS = errors(403, 404, 409, 422)

# The stage of each status in words, as the reporter reads it (Chinese, English).
STATUS_WORDS: dict[Status, tuple[str, str]] = {
    Status.REPORTED: ("已收到，等待受理", "Received, waiting to be filed"),
    Status.ACCEPTED: ("已立案，等待派遣", "Filed, waiting to be sent to a worker"),
    Status.DISPATCHED: ("已派遣网格员", "Sent to the grid worker"),
    Status.IN_PROGRESS: ("正在处置", "Being dealt with"),
    Status.RESOLVED: ("已处置，等待核查", "Dealt with, waiting for a check"),
    Status.CLOSED: ("已办结", "Closed"),
    Status.REJECTED: ("不予受理", "Not taken up"),
    Status.DUPLICATE: ("与已有事件重复，并入处理", "A duplicate: handled with the earlier report"),
}


class TaskRequest(BaseModel):
    """A dispatcher's request that the grid worker verify the report (`verify`) or check the fix (`check`)."""

    task: FieldTask
    note: Note = ""


class TaskAnswer(BaseModel):
    """The worker's answer: the report found as reported, or the fix holding (`confirmed`); a note is required
    when not (what was seen)."""

    task: FieldTask
    confirmed: bool
    note: Note = ""


class PhotoForm(BaseModel):
    """The text fields of a photo upload: before or after the fix, and a note."""

    kind: PhotoKind = PhotoKind.AFTER
    note: Note = ""


@dataclass(frozen=True)
class FieldStep:
    """A member of staff taking a step of the field loop: the store and rules it runs on, and who acts."""

    store: BoundaryStore
    rules: IncidentRules
    staff: Staff

    def run(self, use_case: Callable[..., model.Incident], incident_id: str, **details: Any) -> dict[str, Any]:
        """The incident after the `gridmap.services.field_loop` use case ran on it now, as staff read it."""
        staff = self.staff
        actor = field_loop.FieldActor(staff.user.name, staff.user.role.value, datetime.now(UTC), staff.scope)
        incident = use_case(store=self.store, rules=self.rules, incident_id=incident_id, actor=actor, **details)
        return staff_body(incident, store=self.store, staff=staff, rules=self.rules)


async def field_step(store: StoreDep, staff: StaffDep, rules: IncidentRulesDep) -> FieldStep:
    """The step a route takes, as its caller (on the event loop: it only gathers what the others resolved)."""
    return FieldStep(store=store, rules=rules, staff=staff)


FieldStepDep = Annotated[FieldStep, Depends(field_step)]


@router.post(
    "/incidents/{incident_id}/field-task",
    summary="Ask the grid worker to verify a report before filing (核实) or check a fix before closing (核查)",
    response_model=Incident,
    responses=STEP_ERRORS,
)
def request_task(incident_id: IncidentId, body: TaskRequest, step: FieldStepDep) -> dict[str, Any]:
    """The incident in its worker's queue (`field_task`); 403 below planner, 409 when a task waits already or the
    status does not fit (a verification is of a reported incident, a check of a resolved one)."""
    return step.run(field_loop.request_task, incident_id, task=body.task, note=body.note)


@router.post(
    "/incidents/{incident_id}/field-answer",
    summary="The worker's verification (核实) or check (核查): confirmed, or not with what was seen",
    response_model=Incident,
    responses=STEP_ERRORS,
)
def answer_task(incident_id: IncidentId, body: TaskAnswer, step: FieldStepDep) -> dict[str, Any]:
    """The incident with the answer recorded: a verified report stays for the dispatcher to file or reject; a
    check that fails sends the incident back to in progress (a passed one lets a dispatcher close it)."""
    return step.run(field_loop.answer_task, incident_id, task=body.task, confirmed=body.confirmed, note=body.note)


def _photo_form_schema() -> dict[str, Any]:
    """The OpenAPI request body of a photo upload: kind and note as text, and the photo files."""
    fields = PhotoForm.model_json_schema()
    # The kind's enum inline: the form's own $defs are not among the document's components.
    kind = {"type": "string", "enum": [k.value for k in PhotoKind], "default": PhotoKind.AFTER.value}
    photos = {"type": "array", "maxItems": PhotoLimits().max_count, "items": {"type": "string", "format": "binary"}}
    properties = {**fields["properties"], "kind": kind, PHOTO_FIELD: photos}
    schema = {"type": "object", "required": [PHOTO_FIELD], "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


@router.post(
    "/incidents/{incident_id}/photos",
    summary="Add photos before or after the fix (staff; multipart/form-data, up to 3)",
    openapi_extra=_photo_form_schema(),
    response_model=Incident,
    responses=errors(403, 404, 409, 413, 422),
)
async def add_photos(
    incident_id: IncidentId, request: Request, step: FieldStepDep, settings: SettingsDep
) -> dict[str, Any]:
    """The incident with the photos stored (re-encoded without metadata) under the next numbers; 409 once final."""
    refuse_declared_length(request, settings.max_report_bytes)
    form = await read_report_form(request, text_fields=PhotoForm.model_fields, max_bytes=settings.max_report_bytes)
    fields = form.parsed(PhotoForm)
    photos = await run_in_threadpool(clean_photos, form.uploads)
    return await run_in_threadpool(
        step.run, field_loop.add_photos, incident_id, photos=photos, kind=fields.kind, note=fields.note
    )


@router.post(
    "/incidents/{incident_id}/unlink-duplicate",
    summary="Undo a duplicate marking: the report is open again where it was (planner or admin)",
    response_model=Incident,
    responses=STEP_ERRORS,
)
def unlink_duplicate(incident_id: IncidentId, body: Reason, step: FieldStepDep) -> dict[str, Any]:
    """The incident reported or filed again, with no original; 409 when it is no duplicate."""
    return step.run(field_loop.unlink_duplicate, incident_id, note=body.note)


@router.get(
    "/incidents/{incident_id}/follow-up",
    summary="The reporter follows their report: its number and stage in words (header X-Reporter-Key)",
    response_model=IncidentFollowUp,
    responses=errors(403, 404),
)
def follow_up(incident_id: IncidentId, store: StoreDep, reporter_key: ReporterKeyHeader = None) -> dict[str, Any]:
    """Number, status and stage in words, the original's number for a duplicate, the rating; no personal data."""
    key = reporter_key if reporter_key and reporter_key.strip() else None
    incident, original_number = incident_service.follow_up(store=store, incident_id=incident_id, reporter_key=key)
    words_zh, words_en = STATUS_WORDS[incident.status]
    return {
        "id": incident.id,
        "number": incident.number,
        "status": incident.status.value,
        "stage_zh": words_zh,
        "stage_en": words_en,
        "duplicate_of_number": original_number,
        "rating": incident.state.rating,
        "can_rate": incident.status is Status.CLOSED and incident.state.rating is None,
    }
